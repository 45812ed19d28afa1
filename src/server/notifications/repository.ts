import type { Queryable } from "../db/database.ts";

export interface PushSubscriptionRow {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** What a push about one inbound message needs: whose, from whom, and whether it is still unread. */
export interface InboundNoticeRow {
  message_id: string;
  room_id: string;
  tenant_id: string;
  member_id: string;
  display_name: string | null;
  preview: string | null;
  unread_count: number;
  unsent: boolean;
}

export const notificationRepository = {
  async settings(db: Queryable, memberId: string): Promise<{ desktop: boolean; sound: boolean } | undefined> {
    const [row] = await db.query<{ desktop: boolean; sound: boolean }>("SELECT desktop, sound FROM notification_settings WHERE member_id = $1", [memberId]);
    return row;
  },

  async saveSettings(db: Queryable, memberId: string, s: { desktop: boolean; sound: boolean }, at: Date) {
    await db.query(
      `INSERT INTO notification_settings (member_id, desktop, sound, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (member_id) DO UPDATE SET desktop = $2, sound = $3, updated_at = $4`,
      [memberId, s.desktop, s.sound, at],
    );
  },

  /** A browser subscribing again (new keys, or another member signing in on it) takes the endpoint over. */
  async saveSubscription(db: Queryable, s: { memberId: string; sessionTokenHash: string; endpoint: string; p256dh: string; auth: string }) {
    await db.query(
      `INSERT INTO push_subscriptions (member_id, session_token_hash, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (endpoint) DO UPDATE SET member_id = $1, session_token_hash = $2, p256dh = $4, auth = $5, created_at = now()`,
      [s.memberId, s.sessionTokenHash, s.endpoint, s.p256dh, s.auth],
    );
  },

  async deleteSubscription(db: Queryable, memberId: string, endpoint: string) {
    await db.query("DELETE FROM push_subscriptions WHERE member_id = $1 AND endpoint = $2", [memberId, endpoint]);
  },

  async deleteSubscriptionById(db: Queryable, id: string) {
    await db.query("DELETE FROM push_subscriptions WHERE id = $1", [id]);
  },

  /** Devices whose session is still valid (an expired session's device is signed out, so it gets nothing). */
  async liveSubscriptions(db: Queryable, memberId: string, now: Date): Promise<PushSubscriptionRow[]> {
    return db.query<PushSubscriptionRow>(
      `SELECT p.id, p.endpoint, p.p256dh, p.auth FROM push_subscriptions p JOIN sessions s ON s.token_hash = p.session_token_hash
       WHERE p.member_id = $1 AND s.expires_at > $2 ORDER BY p.created_at`,
      [memberId, now],
    );
  },

  async inboundNotice(db: Queryable, messageId: string): Promise<InboundNoticeRow | undefined> {
    const [row] = await db.query<InboundNoticeRow>(
      `SELECT m.id AS message_id, r.id AS room_id, r.tenant_id, r.member_id, lu.display_name, r.last_message_preview AS preview, r.unread_count,
         (m.unsent_at IS NOT NULL) AS unsent
       FROM messages m JOIN rooms r ON r.id = m.room_id JOIN line_users lu ON lu.id = r.line_user_id
       WHERE m.id = $1 AND m.direction = 'inbound'`,
      [messageId],
    );
    return row;
  },

  async vapidKeys(db: Queryable): Promise<{ public_key: string; private_key_enc: string } | undefined> {
    const [row] = await db.query<{ public_key: string; private_key_enc: string }>("SELECT public_key, private_key_enc FROM web_push_keys WHERE id = 1");
    return row;
  },

  /** The first instance to get here stores its pair; the others read it. */
  async insertVapidKeys(db: Queryable, publicKey: string, privateKeyEnc: string) {
    await db.query("INSERT INTO web_push_keys (id, public_key, private_key_enc) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING", [publicKey, privateKeyEnc]);
  },

  async unreadSummary(db: Queryable, memberId: string): Promise<{ total: number; rooms: number }> {
    const [row] = await db.query<{ total: number; rooms: number }>(
      `SELECT coalesce(sum(r.unread_count), 0)::int AS total, count(*) FILTER (WHERE r.unread_count > 0)::int AS rooms
       FROM rooms r WHERE r.member_id = $1`,
      [memberId],
    );
    return row ?? { total: 0, rooms: 0 };
  },
};
