import type { z } from "zod";
import type { AdminContactListQuery, AuditFilter, ContactSettingsBody, PermissionInput } from "../../shared/contacts.ts";
import { writeAudit } from "../audit/audit.ts";
import type { Database, Queryable } from "../db/database.ts";
import type { Auth } from "../directory/service.ts";
import { problems } from "../http/problem.ts";
import { decodeCursor, encodeCursor } from "./presenter.ts";
import { NO_MEMBER, contactRepository as repo } from "./repository.ts";
import { foldForSearch, likeEscape, phoneQueryDigits } from "./search-text.ts";
import { notFound, type ContactsService } from "./service.ts";

type Who = Pick<Auth, "member" | "tenant">;

export interface AuditRow {
  id: number;
  created_at: Date;
  actor_member_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  detail: Record<string, unknown>;
}

/**
 * The administrator's side (DESIGN §1): every contact of the company, whoever sees it; reassigning
 * the owner; changing privacy; Trash settings; the audit log. Admins read contacts here, not
 * through the member API, where they are members like any other.
 */
export function createContactsAdmin(deps: { db: Database; clock: () => Date; contacts: ContactsService }) {
  const { db, clock, contacts } = deps;
  const requireAdmin = (who: Who) => {
    if (who.member.role !== "admin") throw problems.adminRequired();
  };

  async function adminRow(tx: Queryable, who: Who, id: string) {
    await repo.lock(tx, who.tenant.id, id);
    const row = await repo.get(tx, who.tenant.id, NO_MEMBER, id);
    if (!row || row.deleted_at) throw notFound();
    return row;
  }

  return {
    async list(who: Who, q: z.infer<typeof AdminContactListQuery>) {
      requireAdmin(who);
      const sort = q.filter === "trash" ? "modified" : "name";
      const after = q.cursor ? decodeCursor(q.cursor, sort) : undefined;
      if (q.cursor && !after) throw problems.validation([{ path: "cursor", message: "is not a cursor this API gave out" }]);
      const rows = await repo.list(db, {
        tenantId: who.tenant.id,
        lineOnly: q.filter === "line",
        trash: q.filter === "trash",
        adminFilter: q.filter === "no_owner" || q.filter === "no_visible_members" ? q.filter : undefined,
        search: q.q ? { text: foldForSearch(q.q), digits: phoneQueryDigits(q.q) } : undefined,
        sort,
        after,
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      return { rows: page, nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!, sort) : null };
    },

    /** Hands the contact to another member; the previous owner keeps sight as a chosen member. */
    changeOwner: (who: Who, id: string, ownerId: string) =>
      db.transaction(async (tx) => {
        requireAdmin(who);
        const row = await adminRow(tx, who, id);
        const [member] = await tx.query<{ id: string }>("SELECT id FROM members WHERE tenant_id = $1 AND id = $2", [who.tenant.id, ownerId]);
        if (!member) throw problems.validation([{ path: "ownerId", message: "no such member in your company" }]);
        await repo.setOwner(tx, id, ownerId, clock());
        await writeAudit(tx, {
          tenantId: who.tenant.id,
          actorId: who.member.id,
          action: "contact.owner",
          targetType: "contact",
          targetId: id,
          detail: { from: row.owner_id, to: ownerId },
        });
        return (await repo.get(tx, who.tenant.id, NO_MEMBER, id))!;
      }),

    setPermission: (who: Who, id: string, body: PermissionInput) =>
      db.transaction(async (tx) => {
        requireAdmin(who);
        const row = await adminRow(tx, who, id);
        return contacts.changePermission(tx, who, row, body, NO_MEMBER);
      }),

    async settings(who: Who) {
      requireAdmin(who);
      const s = await repo.settings(db, who.tenant.id);
      return { defaultAccessRange: s.contact_default_access, trashRetentionDays: s.trash_retention_days, contactQuota: s.contact_quota, contactCount: await repo.count(db, who.tenant.id) };
    },

    async setSettings(who: Who, body: z.infer<typeof ContactSettingsBody>) {
      requireAdmin(who);
      await db.transaction(async (tx) => {
        await repo.setDefaultAccess(tx, who.tenant.id, { defaultAccess: body.defaultAccessRange, retentionDays: body.trashRetentionDays });
        await writeAudit(tx, { tenantId: who.tenant.id, actorId: who.member.id, action: "contact.settings", targetType: "tenant", targetId: who.tenant.id, detail: body });
      });
      return this.settings(who);
    },

    /** Newest first; `q` searches the actor's name, the action, the target and the detail. */
    async audit(who: Who, f: AuditFilter): Promise<{ rows: AuditRow[]; nextCursor: string | null }> {
      requireAdmin(who);
      const before = f.cursor ? Number(f.cursor) : undefined;
      if (f.cursor && !Number.isSafeInteger(before)) throw problems.validation([{ path: "cursor", message: "is not a cursor this API gave out" }]);
      const q = f.q ? `%${likeEscape(f.q)}%` : null;
      const rows = await db.query<AuditRow>(
        `SELECT l.id, l.created_at, l.actor_member_id, m.display_name AS actor_name, l.action, l.target_type, l.target_id, l.detail
         FROM audit_log l LEFT JOIN members m ON m.id = l.actor_member_id
         WHERE l.tenant_id = $1
           AND ($2::text IS NULL OR m.display_name ILIKE $2 OR l.action ILIKE $2 OR l.target_id ILIKE $2 OR l.detail::text ILIKE $2)
           AND ($3::text IS NULL OR l.action = $3 OR l.action LIKE $3 || '.%')
           AND ($4::text IS NULL OR l.target_type = $4 OR l.target_id = $4)
           AND ($5::timestamptz IS NULL OR l.created_at >= $5)
           AND ($6::timestamptz IS NULL OR l.created_at < $6)
           AND ($7::bigint IS NULL OR l.id < $7)
         ORDER BY l.id DESC LIMIT $8`,
        [who.tenant.id, q, f.action ?? null, f.target ?? null, f.from ?? null, f.to ?? null, before ?? null, f.limit + 1],
      );
      const page = rows.slice(0, f.limit);
      return { rows: page, nextCursor: rows.length > f.limit ? String(page.at(-1)!.id) : null };
    },
  };
}

export type ContactsAdmin = ReturnType<typeof createContactsAdmin>;
