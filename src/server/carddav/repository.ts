import type { Queryable } from "../db/database.ts";

export interface AppPasswordRow {
  id: string;
  member_id: string;
  label: string;
  created_at: Date;
  last_used_at: Date | null;
}

/** A card of the address book as far as listings need it: which contact, which version, when. */
export interface CardRef {
  id: string;
  version: number;
  updated_at: Date;
}

const APP_PASSWORD_COLUMNS = "id, member_id, label, created_at, last_used_at";

export const appPasswordRepository = {
  async insert(db: Queryable, p: { memberId: string; label: string; secretHash: string; at: Date }): Promise<AppPasswordRow> {
    const [row] = await db.query<AppPasswordRow>(
      `INSERT INTO app_passwords (member_id, label, secret_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING ${APP_PASSWORD_COLUMNS}`,
      [p.memberId, p.label, p.secretHash, p.at],
    );
    return row!;
  },

  list: (db: Queryable, memberId: string) =>
    db.query<AppPasswordRow>(`SELECT ${APP_PASSWORD_COLUMNS} FROM app_passwords WHERE member_id = $1 ORDER BY created_at, id`, [memberId]),

  /** Locks the member's row so two requests cannot both pass the per-member limit (NO KEY: the member's other inserts' foreign-key checks go on). */
  async lockedCount(db: Queryable, memberId: string): Promise<number> {
    await db.query("SELECT id FROM members WHERE id = $1 FOR NO KEY UPDATE", [memberId]);
    const [row] = await db.query<{ n: number }>("SELECT count(*) AS n FROM app_passwords WHERE member_id = $1", [memberId]);
    return row!.n;
  },

  async remove(db: Queryable, memberId: string, id: string): Promise<AppPasswordRow | undefined> {
    const [row] = await db.query<AppPasswordRow>(`DELETE FROM app_passwords WHERE member_id = $1 AND id = $2 RETURNING ${APP_PASSWORD_COLUMNS}`, [
      memberId,
      id,
    ]);
    return row;
  },

  async bySecretHash(db: Queryable, memberId: string, secretHash: string): Promise<AppPasswordRow | undefined> {
    const [row] = await db.query<AppPasswordRow>(`SELECT ${APP_PASSWORD_COLUMNS} FROM app_passwords WHERE member_id = $1 AND secret_hash = $2`, [
      memberId,
      secretHash,
    ]);
    return row;
  },

  /** Records use at most once a minute, so a syncing client does not write on every request. */
  async touch(db: Queryable, id: string, at: Date) {
    await db.query(
      "UPDATE app_passwords SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')",
      [id, at],
    );
  },
};

export const addressBookRepository = {
  /**
   * The live contacts `memberId` may see, lightly: the same rule as the contacts list
   * (`visibleSql` in src/server/contacts/repository.ts — the contact's audience, 0014, shares
   * the tenant's, the member's or one of their teams' id) minus the Trash. Kept here because the address book polls it
   * often and needs no more than id and version; carddav.test.ts checks it against the
   * contacts API for every member.
   */
  cards: (db: Queryable, tenantId: string, memberId: string) =>
    db.query<CardRef>(
      `SELECT c.id, c.version, c.updated_at FROM contacts c
       WHERE c.tenant_id = $1 AND c.deleted_at IS NULL
         AND c.audience && (SELECT ARRAY[$1::uuid, $2::uuid] || coalesce(array_agg(tm.team_id), '{}') FROM team_members tm WHERE tm.member_id = $2)
       ORDER BY c.id`,
      [tenantId, memberId],
    ),
};

export const syncRepository = {
  /** Stores a state under its token (a hash of `cards`, so an existing one is already the same). */
  async saveState(db: Queryable, token: string, cards: string, at: Date) {
    await db.query("INSERT INTO carddav_sync_states (token, cards, created_at) VALUES ($1, $2, $3) ON CONFLICT (token) DO NOTHING", [
      token,
      cards,
      at,
    ]);
  },

  async grant(db: Queryable, memberId: string, token: string, at: Date) {
    await db.query(
      `INSERT INTO carddav_sync_grants (member_id, token, handed_out_at) VALUES ($1, $2, $3)
       ON CONFLICT (member_id, token) DO UPDATE SET handed_out_at = excluded.handed_out_at`,
      [memberId, token, at],
    );
  },

  /** Forgets all but the member's `keep` most recent tokens, and the states no one holds any more. */
  async prune(db: Queryable, memberId: string, keep: number) {
    const dropped = await db.query<{ token: string }>(
      `DELETE FROM carddav_sync_grants g WHERE g.member_id = $1 AND g.token NOT IN (
         SELECT token FROM carddav_sync_grants WHERE member_id = $1 ORDER BY handed_out_at DESC, token LIMIT $2)
       RETURNING g.token`,
      [memberId, keep],
    );
    if (!dropped.length) return;
    await db.query(
      `DELETE FROM carddav_sync_states s WHERE s.token = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM carddav_sync_grants g WHERE g.token = s.token)`,
      [dropped.map((d) => d.token)],
    );
  },

  /** The state behind a token, if the token was handed to this member and is still kept. */
  async stateFor(db: Queryable, memberId: string, token: string): Promise<string | undefined> {
    const [row] = await db.query<{ cards: string }>(
      `SELECT s.cards FROM carddav_sync_states s JOIN carddav_sync_grants g ON g.token = s.token
       WHERE g.member_id = $1 AND s.token = $2`,
      [memberId, token],
    );
    return row?.cards;
  },
};
