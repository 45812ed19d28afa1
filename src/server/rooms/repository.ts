import type { Queryable } from "../db/database.ts";
import type { MessageType } from "./messages-repository.ts";

export interface RoomListRow {
  id: string;
  line_user_id: string;
  display_name: string | null;
  status_message: string | null;
  picture_file_key: string | null;
  friendship_state: "active" | "blocked";
  via: string;
  created_at: Date;
  last_activity_at: Date;
  unread_count: number;
  last_message_preview: string | null;
  last_message_type: MessageType | null;
}

const ROOM_SELECT = `SELECT r.id, r.line_user_id, lu.display_name, lu.status_message, lu.picture_file_key,
    f.state AS friendship_state, f.via, r.created_at, r.last_activity_at, r.unread_count, r.last_message_preview, r.last_message_type
  FROM rooms r JOIN friendships f ON f.id = r.friendship_id JOIN line_users lu ON lu.id = r.line_user_id`;

export const roomRepository = {
  /** A member's rooms, newest activity first, keyset-paginated on (last_activity_at, id). */
  async list(
    db: Queryable,
    memberId: string,
    opts: { q?: string; limit: number; after?: { at: Date; id: string } },
  ): Promise<RoomListRow[]> {
    return db.query<RoomListRow>(
      `${ROOM_SELECT}
       WHERE r.member_id = $1
         AND ($2::text IS NULL OR lu.display_name ILIKE '%' || $2 || '%')
         AND ($3::timestamptz IS NULL OR (r.last_activity_at, r.id) < ($3, $4::uuid))
       ORDER BY r.last_activity_at DESC, r.id DESC
       LIMIT $5`,
      [memberId, opts.q ? opts.q.replace(/[\\%_]/g, (ch) => `\\${ch}`) : null, opts.after?.at ?? null, opts.after?.id ?? null, opts.limit],
    );
  },

  async room(db: Queryable, memberId: string, roomId: string): Promise<RoomListRow | undefined> {
    const [row] = await db.query<RoomListRow>(`${ROOM_SELECT} WHERE r.member_id = $1 AND r.id = $2`, [memberId, roomId]);
    return row;
  },
};
