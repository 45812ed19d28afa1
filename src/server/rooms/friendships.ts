import type { Queryable } from "../db/database.ts";
import { messageRepository } from "./messages-repository.ts";

export type FriendVia = "link" | "qr" | "card" | "email" | "copy_link" | "message_id" | "follow";
export const INVITATION_VIAS = ["link", "qr", "card", "email", "copy_link"] as const satisfies readonly FriendVia[];

export interface FriendshipRow {
  id: string;
  tenant_id: string;
  member_id: string;
  line_user_id: string;
  state: "active" | "blocked";
  via: FriendVia;
  created_at: Date;
}

export interface RoomRow {
  id: string;
  tenant_id: string;
  member_id: string;
  line_user_id: string;
  friendship_id: string;
  created_at: Date;
  last_activity_at: Date;
}

/** Whatever announces a change to the member's open web app (the real-time hub, in the same transaction). */
export type RoomNotifier = (tx: Queryable, ev: { tenantId: string; memberId: string; type: "room.created" | "room.updated"; roomId: string }) => Promise<void>;

/**
 * The one way a friendship comes to be, whatever the path (link, QR, card, e-mail, copy-link,
 * Message ID, dedicated follow): the friendship, its 1:1 room, and the LINE user's routing to
 * this member. Upserts on unique keys, so a redelivered follow, a second visit of the link or a
 * follow racing the LINE Login callback on another instance all end in one friendship and one room.
 */
export async function befriend(
  tx: Queryable,
  f: { tenantId: string; memberId: string; lineUserId: string; via: FriendVia },
  notify: RoomNotifier,
): Promise<{ friendship: FriendshipRow; room: RoomRow; created: boolean }> {
  const [friendship] = await tx.query<FriendshipRow & { inserted: boolean }>(
    `INSERT INTO friendships (tenant_id, member_id, line_user_id, via)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (member_id, line_user_id) DO UPDATE SET state = 'active', updated_at = now()
     RETURNING *, (xmax = 0) AS inserted`,
    [f.tenantId, f.memberId, f.lineUserId, f.via],
  );
  await tx.query(
    `INSERT INTO rooms (tenant_id, member_id, line_user_id, friendship_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (member_id, line_user_id) DO NOTHING`,
    [f.tenantId, f.memberId, f.lineUserId, friendship!.id],
  );
  const [room] = await tx.query<RoomRow>("SELECT * FROM rooms WHERE member_id = $1 AND line_user_id = $2", [f.memberId, f.lineUserId]);
  // The member befriended last is who a shared channel routes this LINE user's messages to.
  await tx.query("UPDATE line_users SET current_member_id = $2 WHERE id = $1", [f.lineUserId, f.memberId]);
  const { inserted, ...row } = friendship!;
  await notify(tx, { tenantId: f.tenantId, memberId: f.memberId, type: inserted ? "room.created" : "room.updated", roomId: room!.id });
  return { friendship: row, room: room!, created: inserted };
}

export async function friendshipsOfLineUser(tx: Queryable, lineUserId: string): Promise<FriendshipRow[]> {
  return tx.query<FriendshipRow>("SELECT * FROM friendships WHERE line_user_id = $1 ORDER BY updated_at DESC", [lineUserId]);
}

/**
 * Blocking the account (unfollow) blocks every friendship of that LINE user in the channel; unblocking
 * restores them. `at` is when the LINE user did it (the event's time), for the line in each room's history.
 */
export async function setFriendshipsState(
  tx: Queryable,
  lineUserId: string,
  state: "active" | "blocked",
  notify: RoomNotifier,
  at: Date,
): Promise<void> {
  const changed = await tx.query<{ tenant_id: string; member_id: string; room_id: string }>(
    `UPDATE friendships f SET state = $2, updated_at = now()
     FROM rooms r WHERE r.friendship_id = f.id AND f.line_user_id = $1 AND f.state <> $2
     RETURNING f.tenant_id, f.member_id, r.id AS room_id`,
    [lineUserId, state],
  );
  for (const c of changed) {
    // The history keeps the moment the LINE user blocked or came back (the room.updated refreshes it).
    await messageRepository.insertSystem(tx, { tenantId: c.tenant_id, roomId: c.room_id, line: { event: state === "blocked" ? "blocked" : "unblocked" }, at });
    await notify(tx, { tenantId: c.tenant_id, memberId: c.member_id, type: "room.updated", roomId: c.room_id });
  }
}
