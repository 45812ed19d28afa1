import type { Queryable } from "../db/database.ts";
import { prepared } from "../db/prepared.ts";

export type MessageType = "text" | "sticker" | "image" | "video" | "audio" | "file" | "location" | "system";

/** What a system line in the history records; its payload is `{ event, ...details }`. */
export type SystemEvent = { event: "blocked" } | { event: "unblocked" } | { event: "contact_added"; memberName: string };

/**
 * What the company's LINE account sent by itself into a room (issue 11): the member's card, and the
 * words under it (the greeting on connecting, or "your messages now go to …" after a pick), as the
 * LINE user saw them. Stored as outbound lines of type `system`, payload `{ event, ...details }`.
 */
export type AutomaticLine = { event: "card_sent"; memberName: string; company: string } | { event: "greeting_sent"; text: string };

export interface MessageRow {
  id: string;
  tenant_id: string;
  room_id: string;
  direction: "inbound" | "outbound" | "system";
  type: MessageType;
  payload: Record<string, unknown>;
  content_key: string | null;
  content_type: string | null;
  content_state: "none" | "pending" | "stored" | "failed";
  line_message_id: string | null;
  sender_member_id: string | null;
  delivery_state: "received" | "sending" | "sent" | "failed" | "none";
  delivery_error: string | null;
  retry_key: string | null;
  unsent_at: Date | null;
  created_at: Date;
  sent_at: Date | null;
}

/** A room with what delivering into it needs: its member, LINE user and friendship state. */
export interface RoomContext {
  id: string;
  tenant_id: string;
  member_id: string;
  line_user_row_id: string;
  line_user_id: string;
  channel_row_id: string;
  friendship_state: "active" | "blocked";
}

export const messageRepository = {
  /**
   * Stores a LINE user's message and, when it is new, moves its room: last activity, preview,
   * one more unread. One statement (this runs for every inbound message).
   */
  async insertInbound(
    db: Queryable,
    m: {
      tenantId: string;
      roomId: string;
      type: MessageType;
      payload: object;
      lineMessageId: string;
      contentState: MessageRow["content_state"];
      at: Date;
      preview: string;
      /** The sticker's id when the message is one (the room list shows its picture), else null. */
      stickerId: string | null;
    },
  ): Promise<MessageRow | undefined> {
    const [row] = await db.query<MessageRow>(
      `WITH inserted AS (
         INSERT INTO messages (tenant_id, room_id, direction, type, payload, line_message_id, delivery_state, content_state, created_at)
         VALUES ($1, $2, 'inbound', $3, $4, $5, 'received', $6, $7)
         ON CONFLICT (room_id, line_message_id) WHERE direction = 'inbound' DO NOTHING RETURNING *
       ), touched AS (
         UPDATE rooms SET last_activity_at = greatest(last_activity_at, $7), last_message_preview = $8, last_message_type = $3,
           last_message_sticker_id = $9, unread_count = unread_count + 1
         WHERE id = $2 AND EXISTS (SELECT 1 FROM inserted)
       )
       SELECT * FROM inserted`,
      [m.tenantId, m.roomId, m.type, JSON.stringify(m.payload), m.lineMessageId, m.contentState, m.at, m.preview, m.stickerId],
    );
    return row;
  },

  /**
   * insertInbound for many messages in one statement, each room moved as the same messages one by
   * one would move it (the last one's preview, one more unread per new message). Returns the new
   * messages' ids by the index of their input; a message already stored, or given twice, is
   * stored once.
   */
  async insertInboundMany(
    db: Queryable,
    ms: readonly { tenantId: string; roomId: string; type: MessageType; payload: object; lineMessageId: string; at: Date; preview: string; stickerId: string | null }[],
  ): Promise<{ i: number; id: string }[]> {
    if (!ms.length) return [];
    const rows = ms.map((m, i) => ({
      i,
      tenant_id: m.tenantId,
      room_id: m.roomId,
      type: m.type,
      payload: m.payload,
      line_message_id: m.lineMessageId,
      at: m.at.toISOString(),
      preview: m.preview,
      sticker_id: m.stickerId,
    }));
    return db.query<{ i: number; id: string }>(
      prepared(`WITH input AS (
         SELECT DISTINCT ON (room_id, line_message_id) *
         FROM jsonb_to_recordset($1::jsonb) AS x(i int, tenant_id uuid, room_id uuid, type text, payload jsonb, line_message_id text,
           at timestamptz, preview text, sticker_id text)
         ORDER BY room_id, line_message_id, i
       ), inserted AS (
         INSERT INTO messages (tenant_id, room_id, direction, type, payload, line_message_id, delivery_state, content_state, created_at)
         SELECT tenant_id, room_id, 'inbound', type, payload, line_message_id, 'received', 'none', at FROM input ORDER BY i
         ON CONFLICT (room_id, line_message_id) WHERE direction = 'inbound' DO NOTHING RETURNING id, room_id, line_message_id
       ), stored AS (
         SELECT input.*, inserted.id FROM inserted JOIN input USING (room_id, line_message_id)
       ), touched AS (
         UPDATE rooms r SET last_activity_at = greatest(r.last_activity_at, s.at), last_message_preview = s.preview, last_message_type = s.type,
           last_message_sticker_id = s.sticker_id, unread_count = r.unread_count + s.n
         FROM (
           -- Per room: the last message's preview and type, the latest time, and how many are new.
           SELECT DISTINCT ON (room_id) room_id, preview, type, sticker_id, max(at) OVER w AS at, count(*) OVER w AS n
           FROM stored WINDOW w AS (PARTITION BY room_id) ORDER BY room_id, i DESC
         ) s
         WHERE r.id = s.room_id
       )
       SELECT i, id FROM stored ORDER BY i`),
      [JSON.stringify(rows)],
    );
  },

  async insertOutbound(
    db: Queryable,
    m: { tenantId: string; roomId: string; type: MessageType; payload: object; senderId: string; retryKey: string; contentKey?: string; contentType?: string },
  ): Promise<MessageRow> {
    const [row] = await db.query<MessageRow>(
      `INSERT INTO messages (tenant_id, room_id, direction, type, payload, sender_member_id, delivery_state, retry_key,
         content_key, content_type, content_state)
       VALUES ($1, $2, 'outbound', $3, $4, $5, 'sending', $6, $7, $8, CASE WHEN $7::text IS NULL THEN 'none' ELSE 'stored' END) RETURNING *`,
      [m.tenantId, m.roomId, m.type, JSON.stringify(m.payload), m.senderId, m.retryKey, m.contentKey ?? null, m.contentType ?? null],
    );
    return row!;
  },

  /** A line in the history that is no one's message (a block, a contact added); not unread, not the preview. */
  async insertSystem(db: Queryable, m: { tenantId: string; roomId: string; line: SystemEvent; at: Date }): Promise<MessageRow> {
    const [row] = await db.query<MessageRow>(
      `INSERT INTO messages (tenant_id, room_id, direction, type, payload, delivery_state, created_at)
       VALUES ($1, $2, 'system', 'system', $3, 'none', $4) RETURNING *`,
      [m.tenantId, m.roomId, JSON.stringify(m.line), m.at],
    );
    return row!;
  },

  /**
   * Lines the account sent (already accepted by LINE), in order, one millisecond apart so the history
   * keeps that order. With a `retryKey`, stored once per key: a job run again after LINE accepted
   * the push (409 then) must not show the card twice. Not unread and not the room's preview: the
   * member did not write them, and the LINE user's first message should lead the room list.
   */
  async insertAutomatic(
    db: Queryable,
    m: { tenantId: string; roomId: string; lines: AutomaticLine[]; lineMessageIds: string[]; retryKey: string | null; at: Date },
  ): Promise<MessageRow[]> {
    if (m.retryKey) {
      const [seen] = await db.query("SELECT 1 FROM messages WHERE room_id = $1 AND retry_key = $2", [m.roomId, m.retryKey]);
      if (seen) return [];
    }
    const rows: MessageRow[] = [];
    for (const [i, line] of m.lines.entries()) {
      const at = new Date(m.at.getTime() + i);
      const [row] = await db.query<MessageRow>(
        `INSERT INTO messages (tenant_id, room_id, direction, type, payload, line_message_id, delivery_state, retry_key, created_at, sent_at)
         VALUES ($1, $2, 'outbound', 'system', $3, $4, 'sent', $5, $6, $6) RETURNING *`,
        [m.tenantId, m.roomId, JSON.stringify(line), m.lineMessageIds[i] ?? null, i === 0 ? m.retryKey : null, at],
      );
      rows.push(row!);
    }
    return rows;
  },

  async message(db: Queryable, id: string): Promise<MessageRow | undefined> {
    const [row] = await db.query<MessageRow>("SELECT * FROM messages WHERE id = $1", [id]);
    return row;
  },

  async messageInRoom(db: Queryable, roomId: string, id: string): Promise<MessageRow | undefined> {
    const [row] = await db.query<MessageRow>("SELECT * FROM messages WHERE room_id = $1 AND id = $2", [roomId, id]);
    return row;
  },

  /** History, newest first, keyset-paginated on (created_at, id). */
  async history(db: Queryable, roomId: string, limit: number, before?: { at: Date; id: string }): Promise<MessageRow[]> {
    return db.query<MessageRow>(
      `SELECT * FROM messages WHERE room_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [roomId, before?.at ?? null, before?.id ?? null, limit],
    );
  },

  async setDelivery(db: Queryable, id: string, d: { state: "sending" | "sent" | "failed"; error?: string | null; lineMessageId?: string | null; at?: Date }) {
    const [row] = await db.query<MessageRow>(
      `UPDATE messages SET delivery_state = $2, delivery_error = $3, line_message_id = coalesce($4, line_message_id),
         sent_at = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_at END
       WHERE id = $1 RETURNING *`,
      [id, d.state, d.error ?? null, d.lineMessageId ?? null, d.at ?? null],
    );
    return row!;
  },

  async setContent(db: Queryable, id: string, c: { state: "stored" | "failed"; key?: string; type?: string }) {
    await db.query("UPDATE messages SET content_state = $2, content_key = coalesce($3, content_key), content_type = coalesce($4, content_type) WHERE id = $1", [
      id,
      c.state,
      c.key ?? null,
      c.type ?? null,
    ]);
  },

  async markUnsent(db: Queryable, roomIds: string[], lineMessageId: string, at: Date) {
    return db.query<{ id: string; room_id: string }>(
      "UPDATE messages SET unsent_at = $3 WHERE room_id = ANY($1::uuid[]) AND line_message_id = $2 AND direction = 'inbound' RETURNING id, room_id",
      [roomIds, lineMessageId, at],
    );
  },

  /**
   * A member's own message moves the room (last activity, preview) without counting as unread.
   * `stickerId`: the sticker's id when the message is one (the room list shows its picture), else null.
   */
  async touchRoom(db: Queryable, roomId: string, type: MessageType, preview: string, at: Date, stickerId: string | null) {
    await db.query(
      `UPDATE rooms SET last_activity_at = greatest(last_activity_at, $3), last_message_preview = $2, last_message_type = $4,
         last_message_sticker_id = $5 WHERE id = $1`,
      [roomId, preview, at, type, stickerId],
    );
  },

  /**
   * Clears the unread count; returns the `markAsReadToken` of the newest inbound message when
   * there was something unread (LINE marks everything up to that message read).
   */
  async markRead(db: Queryable, roomId: string): Promise<string | undefined> {
    const [before] = await db.query<{ unread_count: number }>("SELECT unread_count FROM rooms WHERE id = $1 FOR NO KEY UPDATE", [roomId]);
    if (!before?.unread_count) return undefined;
    await db.query("UPDATE rooms SET unread_count = 0 WHERE id = $1", [roomId]);
    const [latest] = await db.query<{ token: string | null }>(
      `SELECT payload->>'markAsReadToken' AS token FROM messages
       WHERE room_id = $1 AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1`,
      [roomId],
    );
    return latest?.token ?? undefined;
  },

  async roomContext(db: Queryable, roomId: string): Promise<RoomContext | undefined> {
    const [row] = await db.query<RoomContext>(
      `SELECT r.id, r.tenant_id, r.member_id, lu.id AS line_user_row_id, lu.user_id AS line_user_id, lu.channel_id AS channel_row_id,
         f.state AS friendship_state
       FROM rooms r JOIN friendships f ON f.id = r.friendship_id JOIN line_users lu ON lu.id = r.line_user_id
       WHERE r.id = $1`,
      [roomId],
    );
    return row;
  },

  async roomOf(db: Queryable, memberId: string, lineUserRowId: string) {
    const [row] = await db.query<{ id: string; tenant_id: string }>("SELECT id, tenant_id FROM rooms WHERE member_id = $1 AND line_user_id = $2", [
      memberId,
      lineUserRowId,
    ]);
    return row;
  },

  /** The room a LINE user's messages go to: the dedicated member's, else the member they talk to now. */
  async currentRoom(db: Queryable, lineUserRowId: string, dedicatedMemberId: string | null) {
    const [row] = await db.query<{ id: string; tenant_id: string; member_id: string }>(
      `SELECT r.id, r.tenant_id, r.member_id FROM line_users lu
       JOIN rooms r ON r.line_user_id = lu.id AND r.member_id = coalesce($2::uuid, lu.current_member_id)
       WHERE lu.id = $1`,
      [lineUserRowId, dedicatedMemberId],
    );
    return row;
  },

  /**
   * currentRoom for many LINE users at once: per input index, the room its messages go to (the
   * dedicated member's, or the one the LINE user talks to now); indexes without one are missing.
   */
  async currentRooms(db: Queryable, inputs: readonly { lineUserRowId: string; dedicatedMemberId: string | null }[]) {
    return db.query<{ i: number; id: string; tenant_id: string; member_id: string }>(
      prepared(`SELECT x.i - 1 AS i, r.id, r.tenant_id, r.member_id
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS x(line_user_id, dedicated, i)
       JOIN line_users lu ON lu.id = x.line_user_id
       JOIN rooms r ON r.line_user_id = lu.id AND r.member_id = coalesce(x.dedicated, lu.current_member_id)`),
      [inputs.map((x) => x.lineUserRowId), inputs.map((x) => x.dedicatedMemberId)],
    );
  },

  async setCurrentMember(db: Queryable, lineUserRowId: string, memberId: string) {
    await db.query("UPDATE line_users SET current_member_id = $2 WHERE id = $1", [lineUserRowId, memberId]);
  },

  /** The members a LINE user can talk to in a shared channel, for the "talk to …" quick reply. */
  async activeFriendsOf(db: Queryable, lineUserRowId: string) {
    return db.query<{ member_id: string; display_name: string }>(
      `SELECT f.member_id, m.display_name FROM friendships f JOIN members m ON m.id = f.member_id
       WHERE f.line_user_id = $1 AND f.state = 'active' ORDER BY f.updated_at DESC, f.member_id`,
      [lineUserRowId],
    );
  },
};
