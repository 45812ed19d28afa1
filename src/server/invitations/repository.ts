import type { Queryable } from "../db/database.ts";
import type { MemberRow } from "../directory/repository.ts";
import type { ChannelRow } from "../line/repository.ts";
import { prepared } from "../db/prepared.ts";

export interface InvitationLinkRow {
  member_id: string;
  tenant_id: string;
  token: string;
  issued_for_login_id: string;
  created_at: Date;
}

export const invitationRepository = {
  async linkOf(db: Queryable, memberId: string): Promise<InvitationLinkRow | undefined> {
    const [row] = await db.query<InvitationLinkRow>("SELECT * FROM invitation_links WHERE member_id = $1", [memberId]);
    return row;
  },

  /** Replaces the member's link: the old token stops working at once. */
  async saveLink(db: Queryable, member: Pick<MemberRow, "id" | "tenant_id" | "login_id">, token: string): Promise<InvitationLinkRow> {
    const [row] = await db.query<InvitationLinkRow>(
      `INSERT INTO invitation_links (member_id, tenant_id, token, issued_for_login_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (member_id) DO UPDATE SET token = EXCLUDED.token, issued_for_login_id = EXCLUDED.issued_for_login_id, created_at = now()
       RETURNING *`,
      [member.id, member.tenant_id, token, member.login_id],
    );
    return row!;
  },

  /**
   * For the set-based drain, per LINE user's text (by index): whether the LINE user has any
   * friendship, and whether the text, when it looks like a Message ID, names a member of the company
   * (what the Message ID search would look up one by one).
   */
  searchesOf: (db: Queryable, texts: readonly { lineUserId: string; tenantId: string; idText: string | null }[]) =>
    db.query<{ i: number; friends: boolean; names_member: boolean }>(
      prepared(`SELECT x.i - 1 AS i,
              EXISTS (SELECT 1 FROM friendships f WHERE f.line_user_id = x.line_user_id) AS friends,
              EXISTS (SELECT 1 FROM members m WHERE m.tenant_id = x.tenant_id AND lower(m.login_id) = lower(x.id_text)) AS names_member
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS x(line_user_id, tenant_id, id_text, i)`),
      [texts.map((t) => t.lineUserId), texts.map((t) => t.tenantId), texts.map((t) => t.idText)],
    ),

  /** The member behind a token, only while the member's ID is still the one it was issued for. */
  async memberIdByToken(db: Queryable, token: string): Promise<string | undefined> {
    const [row] = await db.query<{ member_id: string }>(
      `SELECT l.member_id FROM invitation_links l JOIN members m ON m.id = l.member_id
       WHERE l.token = $1 AND lower(l.issued_for_login_id) = lower(m.login_id)`,
      [token],
    );
    return row?.member_id;
  },

  /** The channel LINE users reach this member through: their dedicated channel, else the company's shared one. */
  async channelForMember(db: Queryable, tenantId: string, memberId: string): Promise<ChannelRow | undefined> {
    const [row] = await db.query<ChannelRow>(
      `SELECT * FROM line_channels WHERE tenant_id = $1
         AND (mode = 'shared' OR dedicated_member_id = $2)
       ORDER BY (dedicated_member_id = $2) DESC NULLS LAST, created_at LIMIT 1`,
      [tenantId, memberId],
    );
    return row;
  },

  async memberByMessageId(db: Queryable, tenantId: string, messageId: string): Promise<MemberRow | undefined> {
    const [row] = await db.query<MemberRow>(
      "SELECT * FROM members WHERE tenant_id = $1 AND lower(login_id) = lower($2)",
      [tenantId, messageId],
    );
    return row;
  },

  async mailRecipientsSince(db: Queryable, memberId: string, since: Date): Promise<number> {
    const [row] = await db.query<{ n: number | null }>(
      "SELECT sum(recipients)::int AS n FROM invitation_mail_sends WHERE member_id = $1 AND sent_at >= $2",
      [memberId, since],
    );
    return row?.n ?? 0;
  },

  async recordMailSend(db: Queryable, memberId: string, recipients: number) {
    await db.query("INSERT INTO invitation_mail_sends (member_id, recipients) VALUES ($1, $2)", [memberId, recipients]);
  },
};
