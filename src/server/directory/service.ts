import crypto from "node:crypto";
import type { z } from "zod";
import type { CreateMemberBody, LineAccountSettings, LinePolicy, UpdateMemberBody } from "../../shared/directory.ts";
import { writeAudit } from "../audit/audit.ts";
import type { Database } from "../db/database.ts";
import type { AuthCache } from "./auth-cache.ts";
import { sniffImage } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";
import { Problem, problems } from "../http/problem.ts";
import { lineAccess, lineNameRefusal, nameRefusalText } from "./gate.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { presentTenant } from "./presenter.ts";
import { directoryRepository as repo, type MemberRow, type TenantRow } from "./repository.ts";
import { createSigninThrottle, memberKey, signinKeys } from "./signin-throttle.ts";

export interface Auth {
  member: MemberRow;
  tenant: TenantRow;
  csrfToken: string;
  /** Names this sign-in (a device): what a push subscription is tied to, so signing out revokes it. */
  sessionTokenHash: string;
  /**
   * The teams the member belongs to, read with the session: with the company and the member
   * they are the ids a contact's `audience` names (0014), so a contact list needs no round trip
   * to learn them. Kept right by the same invalidation as the rest (0030's trigger).
   */
  teamIds: readonly string[];
}

/** A cached sign-in: never answered past its session's end. */
export interface CachedAuth {
  auth: Auth;
  expiresAt: Date;
}

export const PHOTO_MAX_BYTES = 10 * 1024 * 1024;

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("base64url");
const isUniqueViolation = (err: unknown, index: string) =>
  (err as { code?: string }).code === "23505" && String((err as { constraint?: string; message?: string }).constraint ?? (err as Error).message).includes(index);

export interface DirectoryDeps {
  db: Database;
  files: FileStore;
  clock: () => Date;
  sessionTtlMs: number;
  /** Recent sign-ins kept in memory (the server's); without one every request reads its session. */
  authCache?: AuthCache<CachedAuth>;
}

export function createDirectoryService({ db, files, clock, sessionTtlMs, authCache }: DirectoryDeps) {
  const throttle = createSigninThrottle(db, clock);
  /**
   * Every write to what authentication reads goes through here: once it has committed (or
   * failed), this process forgets its cached sign-ins before answering, so the very next request
   * sees the change; other processes hear it from migration 0025's triggers.
   */
  const changesAuth = <T>(write: Promise<T>) => write.finally(() => authCache?.invalidate());
  function requireAdmin(auth: Auth) {
    if (auth.member.role !== "admin") throw problems.adminRequired();
  }

  async function memberOrThrow(auth: Auth, id: string) {
    const m = await repo.member(db, auth.tenant.id, id);
    if (!m) throw problems.notFound("Member");
    return m;
  }

  function mapUnique(err: unknown): never {
    if (isUniqueViolation(err, "members_login_id_key"))
      throw new Problem(409, "login_id_taken", "ID already in use", "Another member already uses this ID (IDs are compared ignoring case).");
    if (isUniqueViolation(err, "members_email_key"))
      throw new Problem(409, "email_taken", "E-mail already in use", "Another member already uses this e-mail address.");
    throw err;
  }

  /** actorId null = the operator (admin CLI): the audit row says no member did it. */
  function changePlan(tenantId: string, actorId: string | null, plan: TenantRow["plan"]) {
    return changesAuth(db.transaction(async (tx) => {
      const t = await repo.updateTenant(tx, tenantId, { plan });
      await writeAudit(tx, { tenantId: t.id, actorId, action: "tenant.plan", targetType: "tenant", targetId: t.id, detail: { plan } });
      return t;
    }));
  }

  return {
    /** `client` is the caller's address (signin-throttle.ts): failures count per member and per address. */
    async signIn(login: string, password: string, client: string) {
      const key = login.trim().toLowerCase();
      const member = await repo.memberByLogin(db, key);
      const keys = signinKeys("web", member ? { memberId: member.id } : { login: key }, client);
      await throttle.assertOpen(keys);
      if (!member || !(await verifyPassword(member.password_hash, password))) {
        await throttle.failed(keys);
        throw new Problem(401, "signin_failed", "Sign-in failed", "The e-mail/ID or the password is wrong.");
      }
      await throttle.succeeded(keys);
      const now = clock();
      const token = crypto.randomBytes(32).toString("base64url");
      const csrfToken = crypto.randomBytes(24).toString("base64url");
      await repo.insertSession(db, {
        tokenHash: sha256(token),
        memberId: member.id,
        csrfToken,
        expiresAt: new Date(now.getTime() + sessionTtlMs),
      });
      return { token, csrfToken, member };
    },

    async authenticate(token: string): Promise<Auth | undefined> {
      const tokenHash = sha256(token);
      const load = async (): Promise<CachedAuth | undefined> => {
        const row = await repo.sessionMember(db, tokenHash, clock());
        if (!row) return undefined;
        const { csrf_token, expires_at, tenant, team_ids, ...member } = row;
        return { auth: { member, tenant, teamIds: team_ids, csrfToken: csrf_token, sessionTokenHash: tokenHash }, expiresAt: expires_at };
      };
      return (await (authCache ? authCache.get(tokenHash, load) : load()))?.auth;
    },

    signOut: (token: string) => changesAuth(repo.deleteSession(db, sha256(token))),

    me(auth: Auth) {
      return { member: auth.member, tenant: auth.tenant, lineAccess: lineAccess(auth.tenant, auth.member), csrfToken: auth.csrfToken };
    },

    listMembers: (auth: Auth) => repo.members(db, auth.tenant.id),
    getMember: memberOrThrow,

    async createTenant(t: { name: string; plan: TenantRow["plan"]; linePolicy?: Partial<LinePolicy> }) {
      return repo.insertTenant(db, {
        name: t.name,
        plan: t.plan,
        line_policy: t.linePolicy?.policy,
        line_grant: t.linePolicy?.grant,
        line_grant_new_members: t.linePolicy?.grantNewMembers,
      });
    },

    /** Used by the seed and by admins; new members get LINE when the company grants it to new members. */
    async addMember(tenant: TenantRow, actorId: string | null, body: z.output<typeof CreateMemberBody>) {
      const passwordHash = await hashPassword(body.password);
      try {
        return await db.transaction(async (tx) => {
          const m = await repo.insertMember(tx, {
            tenant_id: tenant.id,
            login_id: body.loginId,
            email: body.email,
            display_name: body.displayName,
            phone: body.phone,
            department: body.department,
            role: body.role,
            password_hash: passwordHash,
            line_allowed: tenant.line_grant_new_members,
          });
          await writeAudit(tx, { tenantId: tenant.id, actorId, action: "member.create", targetType: "member", targetId: m.id });
          return m;
        });
      } catch (err) {
        mapUnique(err);
      }
    },

    async createMember(auth: Auth, body: z.output<typeof CreateMemberBody>) {
      requireAdmin(auth);
      return this.addMember(auth.tenant, auth.member.id, body);
    },

    async updateMember(auth: Auth, id: string, body: z.output<typeof UpdateMemberBody>) {
      const self = auth.member.id === id;
      const adminOnly = body.loginId !== undefined || body.role !== undefined || body.email !== undefined;
      if (auth.member.role !== "admin" && (!self || adminOnly)) throw problems.adminRequired();
      const current = await memberOrThrow(auth, id);
      if (body.role === "member" && current.role === "admin" && self)
        throw new Problem(409, "admin_role_self", "Cannot remove your own admin role", "Ask another administrator to do this.");
      try {
        return await changesAuth(db.transaction(async (tx) => {
          const m = await repo.updateMember(tx, auth.tenant.id, id, {
            ...(body.loginId !== undefined && { login_id: body.loginId }),
            ...(body.email !== undefined && { email: body.email }),
            ...(body.displayName !== undefined && { display_name: body.displayName }),
            ...(body.phone !== undefined && { phone: body.phone }),
            ...(body.department !== undefined && { department: body.department }),
            ...(body.role !== undefined && { role: body.role }),
          });
          await writeAudit(tx, {
            tenantId: auth.tenant.id,
            actorId: auth.member.id,
            action: "member.update",
            targetType: "member",
            targetId: id,
            detail: { fields: Object.keys(body) },
          });
          return m!;
        }));
      } catch (err) {
        mapUnique(err);
      }
    },

    async setPhoto(auth: Auth, id: string, bytes: Uint8Array) {
      if (auth.member.id !== id) requireAdmin(auth);
      await memberOrThrow(auth, id);
      if (bytes.length >= PHOTO_MAX_BYTES)
        throw new Problem(413, "payload_too_large", "Photo too large", "A photo must be smaller than 10 MB.");
      const type = await sniffImage(bytes);
      if (!type) throw new Problem(415, "unsupported_media_type", "Not a supported image", "Upload a JPG, PNG or GIF image.");
      const key = `photos/members/${id}-${crypto.randomBytes(6).toString("hex")}`;
      await files.put(key, bytes);
      const previous = (await memberOrThrow(auth, id)).photo_key;
      const m = await changesAuth(repo.updateMember(db, auth.tenant.id, id, { photo_key: key }));
      if (previous) await files.remove(previous);
      return m!;
    },

    async photo(auth: Pick<Auth, "tenant">, id: string) {
      const m = await repo.member(db, auth.tenant.id, id);
      if (!m?.photo_key) throw problems.notFound("Photo");
      const bytes = await files.get(m.photo_key);
      if (!bytes) throw problems.notFound("Photo");
      return bytes;
    },

    listTeams: (auth: Auth) => repo.teams(db, auth.tenant.id),

    async createTeam(auth: Auth, name: string, memberIds: string[]) {
      requireAdmin(auth);
      try {
        // Its members' cached sign-ins carry their teams.
        return await changesAuth(db.transaction(async (tx) => {
          const team = await repo.insertTeam(tx, auth.tenant.id, name);
          await repo.setTeamMembers(tx, team.id, memberIds);
          const [row] = await repo.teams(tx, auth.tenant.id, team.id);
          return row!;
        }));
      } catch (err) {
        if ((err as { code?: string }).code === "23505")
          throw new Problem(409, "team_name_taken", "Team name in use", "Another team already has this name.");
        throw err;
      }
    },

    async setPlan(auth: Auth, plan: TenantRow["plan"]) {
      requireAdmin(auth);
      return changePlan(auth.tenant.id, auth.member.id, plan);
    },

    /** Operator tasks for the admin CLI, which runs with database access and no signed-in member. */
    operator: {
      tenants: () => repo.tenantsWithMemberCounts(db),
      tenant: (id: string) => repo.tenant(db, id),
      members: (tenantId: string) => repo.members(db, tenantId),
      setPlan: (tenantId: string, plan: TenantRow["plan"]) => changePlan(tenantId, null, plan),
      /** A new password ends every session of the member, so a leaked one stops working at once. */
      async setPassword(login: string, password: string) {
        const member = await repo.memberByLogin(db, login.trim().toLowerCase());
        if (!member) throw problems.notFound("Member");
        const passwordHash = await hashPassword(password);
        await changesAuth(db.transaction(async (tx) => {
          await repo.setPasswordHash(tx, member.id, passwordHash);
          await repo.deleteSessionsOf(tx, member.id);
          await repo.clearSigninFailures(tx, memberKey("web", member.id));
          await writeAudit(tx, { tenantId: member.tenant_id, actorId: null, action: "member.password_reset", targetType: "member", targetId: member.id });
        }));
        return member;
      },
    },

    async setLinePolicy(auth: Auth, policy: LinePolicy) {
      requireAdmin(auth);
      if (policy.policy === "allow") {
        const refusal = lineNameRefusal(auth.tenant.name);
        if (refusal)
          throw new Problem(422, "name_refused_by_line", "LINE refuses the company name", `The company name ${nameRefusalText(refusal)}; rename the company first.`, {
            field: "tenant.name",
            params: { refusal, name: auth.tenant.name },
          });
      }
      return changesAuth(db.transaction(async (tx) => {
        const t = await repo.updateTenant(tx, auth.tenant.id, {
          line_policy: policy.policy,
          line_grant: policy.grant,
          line_grant_new_members: policy.grantNewMembers,
          line_files_allowed: policy.filesAllowed,
        });
        await writeAudit(tx, { tenantId: t.id, actorId: auth.member.id, action: "tenant.line_policy", targetType: "tenant", targetId: t.id, detail: policy });
        return t;
      }));
    },

    /**
     * The LINE account's language, read receipts and typing. Audited with what changed (from → to),
     * so the log says "Japanese → Korean" rather than only that something was saved.
     */
    async setLineAccountSettings(auth: Auth, settings: LineAccountSettings) {
      requireAdmin(auth);
      return changesAuth(db.transaction(async (tx) => {
        // Read inside the transaction: the session's copy may predate another administrator's save.
        const before = presentTenant((await repo.tenant(tx, auth.tenant.id)) ?? auth.tenant).lineAccount;
        const t = await repo.updateTenant(tx, auth.tenant.id, {
          line_language: settings.language,
          line_read_receipts: settings.readReceipts,
          line_typing: settings.typing,
        });
        const changed = Object.fromEntries(
          (Object.keys(settings) as (keyof LineAccountSettings)[]).filter((k) => before[k] !== settings[k]).map((k) => [k, { from: before[k], to: settings[k] }]),
        );
        if (Object.keys(changed).length)
          await writeAudit(tx, { tenantId: t.id, actorId: auth.member.id, action: "tenant.line_account", targetType: "tenant", targetId: t.id, detail: changed });
        return t;
      }));
    },

    async setMemberLineAccess(auth: Auth, id: string, allowed: boolean) {
      requireAdmin(auth);
      const m = await memberOrThrow(auth, id);
      if (allowed) {
        const refusal = lineNameRefusal(m.display_name);
        if (refusal)
          throw new Problem(422, "name_refused_by_line", "LINE refuses this member's name", `"${m.display_name}" ${nameRefusalText(refusal)}; change the display name first.`, {
            field: "displayName",
            params: { refusal, name: m.display_name },
          });
      }
      return changesAuth(db.transaction(async (tx) => {
        const row = await repo.updateMember(tx, auth.tenant.id, id, { line_allowed: allowed });
        await writeAudit(tx, { tenantId: auth.tenant.id, actorId: auth.member.id, action: allowed ? "member.line_grant" : "member.line_revoke", targetType: "member", targetId: id });
        return row!;
      }));
    },
  };
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;
