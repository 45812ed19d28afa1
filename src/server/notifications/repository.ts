import type { Locale } from "../../shared/invitations.ts";
import type { RoomMessageType } from "../../shared/rooms.ts";
import type { Queryable } from "../db/database.ts";

export interface SettingsRow {
  desktop: boolean;
  sound: boolean;
  digest_minutes: 15 | 30 | 60 | 120 | null;
  language: "en" | "ja" | "ko";
}

export interface DigestRoomRow {
  member_id: string;
  tenant_id: string;
  language: "en" | "ja" | "ko";
  digest_minutes: number;
  room_id: string;
  display_name: string | null;
  unread_count: number;
  preview: string | null;
  preview_type: RoomMessageType | null;
}

export interface PushSubscriptionRow {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  language: Locale;
}

/** What a push about one inbound message needs: whose, from whom, and whether it is still unread. */
export interface InboundNoticeRow {
  message_id: string;
  room_id: string;
  tenant_id: string;
  member_id: string;
  display_name: string | null;
  preview: string | null;
  preview_type: RoomMessageType | null;
  unread_count: number;
  unsent: boolean;
}

export const notificationRepository = {
  async settings(db: Queryable, memberId: string): Promise<SettingsRow | undefined> {
    const [row] = await db.query<SettingsRow>("SELECT desktop, sound, digest_minutes, language FROM notification_settings WHERE member_id = $1", [memberId]);
    return row;
  },

  /** Turning the digest on starts it from now: what was unread before is not mailed all at once. */
  async saveSettings(db: Queryable, memberId: string, s: SettingsRow, at: Date) {
    await db.query(
      `INSERT INTO notification_settings (member_id, desktop, sound, digest_minutes, language, digested_through, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (member_id) DO UPDATE SET desktop = $2, sound = $3, digest_minutes = $4, language = $5, updated_at = $6,
         digested_through = CASE WHEN notification_settings.digest_minutes IS NULL THEN $6 ELSE notification_settings.digested_through END`,
      [memberId, s.desktop, s.sound, s.digest_minutes, s.language, at],
    );
  },

  /**
   * Members with a digest due: rooms still unread with an inbound message newer than their last
   * digest and at least their N minutes old. One row per room.
   */
  async dueDigests(db: Queryable, now: Date, limit: number): Promise<DigestRoomRow[]> {
    return db.query<DigestRoomRow>(
      `SELECT s.member_id, m.tenant_id, s.language, s.digest_minutes, r.id AS room_id, lu.display_name, r.unread_count, r.last_message_preview AS preview,
         r.last_message_type AS preview_type
       FROM notification_settings s
       JOIN members m ON m.id = s.member_id
       JOIN rooms r ON r.member_id = s.member_id AND r.unread_count > 0
       JOIN line_users lu ON lu.id = r.line_user_id
       WHERE s.digest_minutes IS NOT NULL
         AND EXISTS (SELECT 1 FROM messages x WHERE x.room_id = r.id AND x.direction = 'inbound'
                     AND x.created_at > coalesce(s.digested_through, '-infinity')
                     AND x.created_at <= $1::timestamptz - make_interval(mins => s.digest_minutes))
       ORDER BY s.member_id, r.last_activity_at DESC
       LIMIT $2`,
      [now, limit],
    );
  },

  async markDigested(db: Queryable, memberId: string, through: Date) {
    await db.query("UPDATE notification_settings SET digested_through = $2 WHERE member_id = $1", [memberId, through]);
  },

  /** A browser subscribing again (new keys, or another member signing in on it) takes the endpoint over. */
  async saveSubscription(db: Queryable, s: { memberId: string; sessionTokenHash: string; endpoint: string; p256dh: string; auth: string; language: Locale }) {
    await db.query(
      `INSERT INTO push_subscriptions (member_id, session_token_hash, endpoint, p256dh, auth, language) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (endpoint) DO UPDATE SET member_id = $1, session_token_hash = $2, p256dh = $4, auth = $5, language = $6, created_at = now()`,
      [s.memberId, s.sessionTokenHash, s.endpoint, s.p256dh, s.auth, s.language],
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
      `SELECT p.id, p.endpoint, p.p256dh, p.auth, p.language FROM push_subscriptions p JOIN sessions s ON s.token_hash = p.session_token_hash
       WHERE p.member_id = $1 AND s.expires_at > $2 ORDER BY p.created_at`,
      [memberId, now],
    );
  },

  async inboundNotice(db: Queryable, messageId: string): Promise<InboundNoticeRow | undefined> {
    const [row] = await db.query<InboundNoticeRow>(
      `SELECT m.id AS message_id, r.id AS room_id, r.tenant_id, r.member_id, lu.display_name, r.last_message_preview AS preview, r.last_message_type AS preview_type, r.unread_count,
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
