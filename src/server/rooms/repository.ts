import { visibleSql } from "../contacts/repository.ts";
import type { Queryable } from "../db/database.ts";
import type { SearchQuery } from "../search/normalize.ts";
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
  /** System lines never become the preview. */
  last_message_type: Exclude<MessageType, "system"> | null;
  last_message_sticker_id: string | null;
}

const ROOM_SELECT = `SELECT r.id, r.line_user_id, lu.display_name, lu.status_message, lu.picture_file_key,
    f.state AS friendship_state, f.via, r.created_at, r.last_activity_at, r.unread_count, r.last_message_preview, r.last_message_type,
    r.last_message_sticker_id
  FROM rooms r JOIN friendships f ON f.id = r.friendship_id JOIN line_users lu ON lu.id = r.line_user_id`;

export const roomRepository = {
  /**
   * A member's rooms, newest activity first, keyset-paginated on (last_activity_at, id). A search
   * matches the LINE user's display name, or what the member's contact search would find in a
   * contact of that LINE user they see (its reading, company, e-mail, phone): both folded by the
   * shared normalizer, so タナカ finds 田中's room as it finds 田中's contact.
   */
  async list(
    db: Queryable,
    memberId: string,
    opts: { q?: SearchQuery; limit: number; after?: { at: Date; id: string } },
  ): Promise<RoomListRow[]> {
    return db.query<RoomListRow>(
      `${ROOM_SELECT}
       WHERE r.member_id = $1
         AND ($2::text IS NULL OR strpos(lu.search_name, $2) > 0 OR EXISTS (
           SELECT 1 FROM contacts c WHERE c.tenant_id = r.tenant_id AND c.line_user_id = r.line_user_id AND c.deleted_at IS NULL
             AND ${visibleSql("$1", "r.tenant_id")}
             AND (strpos(c.search_text, $2) > 0 OR c.search_digits LIKE ANY ($6::text[]))))
         AND ($3::timestamptz IS NULL OR (r.last_activity_at, r.id) < ($3, $4::uuid))
       ORDER BY r.last_activity_at DESC, r.id DESC
       LIMIT $5`,
      [memberId, opts.q?.text ?? null, opts.after?.at ?? null, opts.after?.id ?? null, opts.limit, (opts.q?.digits ?? []).map((d) => `%${d}%`)],
    );
  },

  async room(db: Queryable, memberId: string, roomId: string): Promise<RoomListRow | undefined> {
    const [row] = await db.query<RoomListRow>(`${ROOM_SELECT} WHERE r.member_id = $1 AND r.id = $2`, [memberId, roomId]);
    return row;
  },
};
