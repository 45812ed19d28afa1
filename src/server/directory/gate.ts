import type { LineAccess } from "../../shared/directory.ts";
import type { NAME_REFUSALS } from "../../shared/problems.ts";
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

type NameRefusal = (typeof NAME_REFUSALS)[number];
const NAME_REFUSAL_TEXT: Record<NameRefusal, string> = { emoji: "contains an emoji", line_word: 'contains the word "LINE"' };

/** Why LINE would refuse this name, or undefined when it is acceptable. */
export function lineNameRefusal(name: string): NameRefusal | undefined {
  if (EMOJI.test(name)) return "emoji";
  if (LINE_WORD.test(name)) return "line_word";
  return undefined;
}

/** The English words for a refusal, for `detail` (clients say it in their reader's language from the code). */
export const nameRefusalText = (refusal: NameRefusal) => NAME_REFUSAL_TEXT[refusal];

/** DESIGN §2.1: the plan first, then the company policy, then the member's own grant. */
export function lineAccess(tenant: GateTenant, member: GateMember): LineAccess {
  if (tenant.plan !== "core") {
    return { allowed: false, reason: "plan_required", detail: "Chat with LINE users is available on the Core plan only." };
  }
  if (tenant.line_policy !== "allow") {
    return { allowed: false, reason: "line_not_allowed", why: "policy_off", detail: "Your administrator has not allowed chatting with LINE users." };
  }
  if (tenant.line_grant === "by_member" && !member.line_allowed) {
    return { allowed: false, reason: "line_not_allowed", why: "member_not_granted", detail: "Your administrator has not allowed you to chat with LINE users." };
  }
  const companyRefusal = lineNameRefusal(tenant.name);
  if (companyRefusal) {
    return {
      allowed: false,
      reason: "line_not_allowed",
      why: "company_name",
      refusal: companyRefusal,
      detail: `LINE does not accept the company name: it ${nameRefusalText(companyRefusal)}.`,
    };
  }
  const memberRefusal = lineNameRefusal(member.display_name);
  if (memberRefusal) {
    return {
      allowed: false,
      reason: "line_not_allowed",
      why: "member_name",
      refusal: memberRefusal,
      detail: `LINE does not accept your display name: it ${nameRefusalText(memberRefusal)}.`,
    };
  }
  return { allowed: true };
}

export function assertLineAccess(tenant: GateTenant, member: GateMember): void {
  const access = lineAccess(tenant, member);
  if (access.allowed) return;
  const title = access.reason === "plan_required" ? "Core plan required" : "Chat with LINE users is not allowed";
  const params = { ...(access.why ? { reason: access.why } : {}), ...(access.refusal ? { refusal: access.refusal } : {}) };
  throw new Problem(403, access.reason!, title, access.detail, { params });
}
