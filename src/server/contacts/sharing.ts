import type { Queryable } from "../db/database.ts";
import { lineAccess } from "../directory/gate.ts";
import { Problem } from "../http/problem.ts";
import { contactRepository as repo, type AccessEntry } from "./repository.ts";

export interface Sharing {
  range: "ALL" | "MEMBER";
  ownerId: string | null;
  entries: AccessEntry[];
}

export interface ChattingMember {
  id: string;
  display_name: string;
  team_ids: string[];
}

/** Whether a member sees a contact shared this way (the same rule as the SQL in repository.ts). */
export function canSee(s: Sharing, m: { id: string; team_ids: string[] }): boolean {
  if (s.range === "ALL" || s.ownerId === m.id) return true;
  return s.entries.some((e) => (e.type === "MEMBER" ? e.id === m.id : m.team_ids.includes(e.id)));
}

/**
 * DESIGN §2.8 "chatting": members with a room with the LINE user whose friendship is active and
 * who still pass the LINE gate (plan, policy, grant, names LINE accepts).
 */
export async function chattingMembers(tx: Queryable, tenantId: string, lineUserId: string): Promise<ChattingMember[]> {
  const rows = await repo.friendsInRooms(tx, tenantId, lineUserId);
  return rows.filter(
    (r) => lineAccess({ name: r.tenant_name, plan: r.plan, line_policy: r.line_policy, line_grant: r.line_grant }, r).allowed,
  );
}

/** Refuses a sharing change that would take the contact away from someone chatting with its LINE user. */
export async function assertNoChatterLosesSight(tx: Queryable, tenantId: string, lineUserId: string | null, before: Sharing, after: Sharing) {
  if (!lineUserId) return;
  const losing = (await chattingMembers(tx, tenantId, lineUserId)).filter((m) => canSee(before, m) && !canSee(after, m));
  if (losing.length === 0) return;
  const names = losing.map((m) => m.display_name);
  throw new Problem(
    409,
    "member_is_chatting",
    "A member is chatting with this LINE user",
    `${names.join(", ")} ${names.length === 1 ? "is" : "are"} chatting with this LINE user and would no longer see the contact.`,
    { members: losing.map((m) => ({ id: m.id, displayName: m.display_name })), params: { members: names.join(", "), count: names.length } },
  );
}

/** DESIGN §2.8: a contact cannot be deleted while its LINE user chats with another member. */
export async function assertNotInConversation(tx: Queryable, tenantId: string, lineUserId: string | null, deleterId: string) {
  if (!lineUserId) return;
  const others = (await chattingMembers(tx, tenantId, lineUserId)).filter((m) => m.id !== deleterId);
  if (others.length === 0) return;
  const names = others.map((m) => m.display_name);
  throw new Problem(
    409,
    "line_user_in_conversation",
    "The LINE user is chatting with another member",
    `This contact cannot be deleted while its LINE user is chatting with ${names.join(", ")}.`,
    { members: others.map((m) => ({ id: m.id, displayName: m.display_name })), params: { members: names.join(", "), count: names.length } },
  );
}

/** The chosen members and teams must belong to the company. */
export async function assertKnownEntries(tx: Queryable, tenantId: string, entries: AccessEntry[]) {
  if (!entries.length) return;
  const known = await repo.knownAccessIds(tx, tenantId, entries.map((e) => e.id));
  const unknown = entries.filter((e) => !known.has(e.id));
  if (unknown.length) {
    throw new Problem(400, "validation_failed", "The request is not valid", "Unknown members or teams in accessibleMembers.", {
      errors: unknown.map((e) => ({ path: "accessibleMembers", message: `no ${e.type.toLowerCase()} ${e.id} in your company`, code: "unknown_member" })),
    });
  }
}
