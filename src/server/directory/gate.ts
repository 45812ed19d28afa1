import type { LineAccess } from "../../shared/directory.ts";
import { Problem } from "../http/problem.ts";

export interface GateTenant {
  name: string;
  plan: "standard" | "core";
  line_policy: "deny" | "allow";
  line_grant: "all" | "by_member";
}
export interface GateMember {
  display_name: string;
  line_allowed: boolean;
}

// LINE refuses sender names that contain an emoji or the word "LINE" (any case, as a word of
// its own: "Caroline" is fine, "LINE担当" is not).
const EMOJI = /\p{Extended_Pictographic}/u;
const LINE_WORD = /(^|[^A-Za-z])line([^A-Za-z]|$)/i;

/** Why LINE would refuse this name, or undefined when it is acceptable. */
export function lineNameRefusal(name: string): string | undefined {
  if (EMOJI.test(name)) return "contains an emoji";
  if (LINE_WORD.test(name)) return 'contains the word "LINE"';
  return undefined;
}

/** DESIGN §2.1: the plan first, then the company policy, then the member's own grant. */
export function lineAccess(tenant: GateTenant, member: GateMember): LineAccess {
  if (tenant.plan !== "core") {
    return { allowed: false, reason: "plan_required", detail: "Chat with LINE users is available on the Core plan only." };
  }
  if (tenant.line_policy !== "allow") {
    return { allowed: false, reason: "line_not_allowed", detail: "Your administrator has not allowed chatting with LINE users." };
  }
  if (tenant.line_grant === "by_member" && !member.line_allowed) {
    return { allowed: false, reason: "line_not_allowed", detail: "Your administrator has not allowed you to chat with LINE users." };
  }
  const companyRefusal = lineNameRefusal(tenant.name);
  if (companyRefusal) {
    return { allowed: false, reason: "line_not_allowed", detail: `LINE does not accept the company name: it ${companyRefusal}.` };
  }
  const memberRefusal = lineNameRefusal(member.display_name);
  if (memberRefusal) {
    return { allowed: false, reason: "line_not_allowed", detail: `LINE does not accept your display name: it ${memberRefusal}.` };
  }
  return { allowed: true };
}

export function assertLineAccess(tenant: GateTenant, member: GateMember): void {
  const access = lineAccess(tenant, member);
  if (access.allowed) return;
  const title = access.reason === "plan_required" ? "Core plan required" : "Chat with LINE users is not allowed";
  throw new Problem(403, access.reason!, title, access.detail);
}
