import type { Queryable } from "../db/database.ts";

export interface TenantRow {
  id: string;
  name: string;
  plan: "standard" | "core";
  contact_quota: number;
  line_policy: "deny" | "allow";
  line_grant: "all" | "by_member";
  line_grant_new_members: boolean;
  line_files_allowed: boolean;
  trash_retention_days: number;
  /** What the LINE account speaks to a LINE user whose own language it has no words for. */
  line_language: "en" | "ja" | "ko";
  /** Mark a LINE user's messages read on LINE when a member opens the room. */
  line_read_receipts: boolean;
  /** Show the LINE user LINE's loading animation while a member types. */
  line_typing: boolean;
}

export interface MemberRow {
  id: string;
  tenant_id: string;
  login_id: string;
  email: string;
  display_name: string;
  phone: string | null;
  department: string | null;
  role: "admin" | "member";
  photo_key: string | null;
  password_hash: string | null;
  line_allowed: boolean;
  updated_at: Date;
}

export interface TeamRow {
  id: string;
  name: string;
  member_ids: string[];
}

const MEMBER_COLUMNS = `id, tenant_id, login_id, email, display_name, phone, department, role, photo_key,
  password_hash, line_allowed, updated_at`;

export const directoryRepository = {
  async insertTenant(db: Queryable, t: Pick<TenantRow, "name" | "plan"> & Partial<TenantRow>): Promise<TenantRow> {
    const [row] = await db.query<TenantRow>(
      `INSERT INTO tenants (name, plan, line_policy, line_grant, line_grant_new_members, contact_quota)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [t.name, t.plan, t.line_policy ?? "deny", t.line_grant ?? "all", t.line_grant_new_members ?? true, t.contact_quota ?? 100000],
    );
    return row!;
  },

  async tenant(db: Queryable, id: string): Promise<TenantRow | undefined> {
    const [row] = await db.query<TenantRow>("SELECT * FROM tenants WHERE id = $1", [id]);
    return row;
  },

  async tenantsWithMemberCounts(db: Queryable): Promise<(TenantRow & { member_count: number })[]> {
    return db.query<TenantRow & { member_count: number }>(
      `SELECT t.*, (SELECT count(*) FROM members m WHERE m.tenant_id = t.id) AS member_count FROM tenants t ORDER BY t.created_at, t.id`,
    );
  },

  async tenantCount(db: Queryable): Promise<number> {
    const [row] = await db.query<{ n: number }>("SELECT count(*) AS n FROM tenants");
    return row!.n;
  },

  async updateTenant(
    db: Queryable,
    id: string,
    patch: Partial<
      Pick<
        TenantRow,
        "plan" | "line_policy" | "line_grant" | "line_grant_new_members" | "line_files_allowed" | "line_language" | "line_read_receipts" | "line_typing"
      >
    >,
  ): Promise<TenantRow> {
    const [row] = await db.query<TenantRow>(
      `UPDATE tenants SET
         plan = coalesce($2, plan),
         line_policy = coalesce($3, line_policy),
         line_grant = coalesce($4, line_grant),
         line_grant_new_members = coalesce($5, line_grant_new_members),
         line_files_allowed = coalesce($6, line_files_allowed),
         line_language = coalesce($7, line_language),
         line_read_receipts = coalesce($8, line_read_receipts),
         line_typing = coalesce($9, line_typing),
         updated_at = now()
       WHERE id = $1 RETURNING *`,
      [
        id,
        patch.plan ?? null,
        patch.line_policy ?? null,
        patch.line_grant ?? null,
        patch.line_grant_new_members ?? null,
        patch.line_files_allowed ?? null,
        patch.line_language ?? null,
        patch.line_read_receipts ?? null,
        patch.line_typing ?? null,
      ],
    );
    return row!;
  },

  async insertMember(
    db: Queryable,
    m: Pick<MemberRow, "tenant_id" | "login_id" | "email" | "display_name" | "role" | "password_hash" | "line_allowed"> &
      Partial<Pick<MemberRow, "phone" | "department">>,
  ): Promise<MemberRow> {
    const [row] = await db.query<MemberRow>(
      `INSERT INTO members (tenant_id, login_id, email, display_name, phone, department, role, password_hash, line_allowed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${MEMBER_COLUMNS}`,
      [m.tenant_id, m.login_id, m.email, m.display_name, m.phone ?? null, m.department ?? null, m.role, m.password_hash, m.line_allowed],
    );
    return row!;
  },

  async member(db: Queryable, tenantId: string, id: string): Promise<MemberRow | undefined> {
    const [row] = await db.query<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return row;
  },

  async memberByLogin(db: Queryable, login: string): Promise<MemberRow | undefined> {
    const [row] = await db.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE lower(email) = lower($1) OR lower(login_id) = lower($1) LIMIT 1`,
      [login],
    );
    return row;
  },

  async members(db: Queryable, tenantId: string): Promise<MemberRow[]> {
    return db.query<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE tenant_id = $1 ORDER BY display_name, id`, [tenantId]);
  },

  async updateMember(
    db: Queryable,
    tenantId: string,
    id: string,
    patch: Partial<Pick<MemberRow, "login_id" | "email" | "display_name" | "phone" | "department" | "role" | "photo_key" | "line_allowed">>,
  ): Promise<MemberRow | undefined> {
    const cols = Object.keys(patch) as (keyof typeof patch)[];
    if (cols.length === 0) return this.member(db, tenantId, id);
    const sets = cols.map((c, i) => `${c} = $${i + 3}`).join(", ");
    const [row] = await db.query<MemberRow>(
      `UPDATE members SET ${sets}, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${MEMBER_COLUMNS}`,
      [tenantId, id, ...cols.map((c) => patch[c])],
    );
    return row;
  },

  async insertTeam(db: Queryable, tenantId: string, name: string): Promise<{ id: string; name: string }> {
    const [row] = await db.query<{ id: string; name: string }>(
      "INSERT INTO teams (tenant_id, name) VALUES ($1, $2) RETURNING id, name",
      [tenantId, name],
    );
    return row!;
  },

  async setTeamMembers(db: Queryable, teamId: string, memberIds: readonly string[]): Promise<void> {
    await db.query("DELETE FROM team_members WHERE team_id = $1", [teamId]);
    if (memberIds.length === 0) return;
    // Only members of the team's own tenant can join it.
    await db.query(
      `INSERT INTO team_members (team_id, member_id)
       SELECT $1, m.id FROM members m JOIN teams t ON t.id = $1 AND t.tenant_id = m.tenant_id
       WHERE m.id = ANY($2::uuid[]) ON CONFLICT DO NOTHING`,
      [teamId, memberIds],
    );
  },

  async teams(db: Queryable, tenantId: string, teamId?: string): Promise<TeamRow[]> {
    return db.query<TeamRow>(
      `SELECT t.id, t.name, coalesce(array_agg(tm.member_id) FILTER (WHERE tm.member_id IS NOT NULL), '{}') AS member_ids
       FROM teams t LEFT JOIN team_members tm ON tm.team_id = t.id
       WHERE t.tenant_id = $1 AND ($2::uuid IS NULL OR t.id = $2)
       GROUP BY t.id ORDER BY t.name`,
      [tenantId, teamId ?? null],
    );
  },

  async insertSession(db: Queryable, s: { tokenHash: string; memberId: string; csrfToken: string; expiresAt: Date }) {
    await db.query("INSERT INTO sessions (token_hash, member_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)", [
      s.tokenHash,
      s.memberId,
      s.csrfToken,
      s.expiresAt,
    ]);
  },

  /**
   * The signed-in member, their company and the CSRF token, in one query: every API request runs
   * it, so it is one round trip rather than two (nothing is cached, so a revoked session, a changed
   * role or a company's changed LINE policy applies to the very next request).
   */
  async sessionMember(db: Queryable, tokenHash: string, now: Date) {
    const [row] = await db.query<MemberRow & { csrf_token: string; expires_at: Date; tenant: TenantRow; team_ids: string[] }>(
      `SELECT ${MEMBER_COLUMNS.split(", ").map((c) => `m.${c.trim()}`).join(", ")}, s.csrf_token, s.expires_at,
         ARRAY(SELECT tm.team_id FROM team_members tm WHERE tm.member_id = m.id ORDER BY tm.team_id) AS team_ids,
         json_build_object('id', t.id, 'name', t.name, 'plan', t.plan, 'contact_quota', t.contact_quota, 'line_policy', t.line_policy,
           'line_grant', t.line_grant, 'line_grant_new_members', t.line_grant_new_members, 'line_files_allowed', t.line_files_allowed,
           'trash_retention_days', t.trash_retention_days, 'line_language', t.line_language, 'line_read_receipts', t.line_read_receipts,
           'line_typing', t.line_typing) AS tenant
       FROM sessions s JOIN members m ON m.id = s.member_id JOIN tenants t ON t.id = m.tenant_id
       WHERE s.token_hash = $1 AND s.expires_at > $2`,
      [tokenHash, now],
    );
    return row;
  },

  async setPasswordHash(db: Queryable, memberId: string, passwordHash: string) {
    await db.query("UPDATE members SET password_hash = $2, updated_at = now() WHERE id = $1", [memberId, passwordHash]);
  },

  async deleteSessionsOf(db: Queryable, memberId: string) {
    await db.query("DELETE FROM sessions WHERE member_id = $1", [memberId]);
  },

  async deleteSession(db: Queryable, tokenHash: string) {
    await db.query("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
  },

  async signinFailures(db: Queryable, key: string) {
    const [row] = await db.query<{ failures: number; window_started_at: Date; locked_until: Date | null }>(
      "SELECT failures, window_started_at, locked_until FROM signin_failures WHERE login_key = $1",
      [key],
    );
    return row;
  },

  /** Counts a failure within the window (restarting it when stale) and locks once the limit is hit. */
  async recordSigninFailure(db: Queryable, key: string, now: Date, windowMs: number, limit: number, lockMs: number) {
    const [row] = await db.query<{ failures: number; locked_until: Date | null }>(
      `INSERT INTO signin_failures (login_key, failures, window_started_at) VALUES ($1, 1, $2)
       ON CONFLICT (login_key) DO UPDATE SET
         failures = CASE WHEN signin_failures.window_started_at < $2 - make_interval(secs => $3 / 1000.0)
                         THEN 1 ELSE signin_failures.failures + 1 END,
         window_started_at = CASE WHEN signin_failures.window_started_at < $2 - make_interval(secs => $3 / 1000.0)
                         THEN $2 ELSE signin_failures.window_started_at END
       RETURNING failures, locked_until`,
      [key, now, windowMs],
    );
    if (row!.failures >= limit) {
      await db.query("UPDATE signin_failures SET locked_until = $2 WHERE login_key = $1", [key, new Date(now.getTime() + lockMs)]);
    }
  },

  async clearSigninFailures(db: Queryable, key: string) {
    await db.query("DELETE FROM signin_failures WHERE login_key = $1", [key]);
  },
};
