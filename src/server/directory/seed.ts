import crypto from "node:crypto";
import type { DirectoryService } from "./service.ts";

export const DEMO_MEMBERS = [
  { loginId: "admin", email: "admin@demo.example", displayName: "山田 太郎 (Admin)", role: "admin", department: "Management", phone: "+81 3-1234-0001" },
  { loginId: "sato", email: "sato@demo.example", displayName: "佐藤 花子", role: "member", department: "Sales", phone: "+81 3-1234-0002" },
  { loginId: "kim", email: "kim@demo.example", displayName: "김민준", role: "member", department: "Sales", phone: "+82 2-555-0003" },
  { loginId: "smith", email: "smith@demo.example", displayName: "Alex Smith", role: "member", department: "Support", phone: "+1 415-555-0004" },
] as const;

/**
 * Creates the demo company: Core plan, LINE allowed for all members, a Sales team.
 * Returns the password used, so the caller can print it once.
 */
export async function seedDemo(directory: DirectoryService, password?: string) {
  const pw = password ?? crypto.randomBytes(9).toString("base64url");
  const tenant = await directory.createTenant({
    name: "Demo Company",
    plan: "core",
    linePolicy: { policy: "allow", grant: "all", grantNewMembers: true },
  });
  const members = [];
  for (const m of DEMO_MEMBERS) {
    members.push(await directory.addMember(tenant, null, { ...m, password: pw }));
  }
  const admin = members[0]!;
  const adminAuth = { member: admin, tenant, teamIds: [], csrfToken: "", sessionTokenHash: "" };
  await directory.createTeam(
    adminAuth,
    "Sales",
    members.filter((m) => m.department === "Sales").map((m) => m.id),
  );
  return { tenant, members, password: pw, generated: password === undefined };
}
