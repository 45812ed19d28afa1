import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";

/**
 * Issue 11: the administrator sets how the company's LINE account behaves (migration 0019's
 * `line_language`, `line_read_receipts`, `line_typing`): validated by the shared schema, audited
 * with what changed. What each setting does is tested where it acts (member-card, read-and-typing).
 */
let server: TestServer;
let admin: ApiClient;
let sato: ApiClient;

beforeAll(async () => {
  server = await bootServer();
  admin = await signedIn(server, "admin@demo.example");
  sato = await signedIn(server, "sato@demo.example");
});
afterAll(async () => {
  await server?.stop();
});

const auditOf = async (action: string) => (await admin.get(`/api/v1/admin/audit?action=${action}`)).json.items as { actor: { displayName: string }; detail: unknown }[];

describe("LINE account settings", () => {
  it("start on (English, read receipts, typing); an administrator changes them and the audit log says from what to what", async () => {
    expect((await admin.get("/api/v1/me")).json.tenant.lineAccount).toEqual({ language: "en", readReceipts: true, typing: true });
    const saved = await admin.put("/api/v1/admin/line-account", { language: "ja", readReceipts: false, typing: true });
    expect(saved.status).toBe(200);
    expect(saved.json.lineAccount).toEqual({ language: "ja", readReceipts: false, typing: true });
    expect((await sato.get("/api/v1/me")).json.tenant.lineAccount).toEqual({ language: "ja", readReceipts: false, typing: true });

    const [entry] = await auditOf("tenant.line_account");
    expect(entry).toMatchObject({ detail: { language: { from: "en", to: "ja" }, readReceipts: { from: true, to: false } } });
    expect(entry!.detail).not.toHaveProperty("typing");

    // Saving the same values again changes nothing, so it is not an entry.
    await admin.put("/api/v1/admin/line-account", { language: "ja", readReceipts: false, typing: true });
    expect(await auditOf("tenant.line_account")).toHaveLength(1);
    await admin.put("/api/v1/admin/line-account", { language: "en", readReceipts: true, typing: true });
  });

  it("refuses members, and bad values with the field named, changing nothing", async () => {
    const before = (await admin.get("/api/v1/me")).json.tenant.lineAccount;
    const member = await sato.put("/api/v1/admin/line-account", { language: "ko", readReceipts: true, typing: true });
    expect(member.status).toBe(403);
    expect(member.json.code).toBe("admin_required");

    const bad = await admin.put("/api/v1/admin/line-account", { language: "fr", readReceipts: "yes", typing: true });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe("validation_failed");
    expect((bad.json.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(["language", "readReceipts"]);
    expect((await admin.put("/api/v1/admin/line-account", { language: "ja" })).status).toBe(400);
    expect((await admin.get("/api/v1/me")).json.tenant.lineAccount).toEqual(before);
  });
});
