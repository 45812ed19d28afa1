import type { z } from "zod";
import type { AdminContactListQuery, AuditFilter, ContactSettingsBody, PermissionInput } from "../../shared/contacts.ts";
import { writeAudit } from "../audit/audit.ts";
import { auditRepository, type AuditRow } from "../audit/repository.ts";
import type { Database, Queryable } from "../db/database.ts";
import type { Auth } from "../directory/service.ts";
import type { FileStore } from "../files/store.ts";
import { problems } from "../http/problem.ts";
import { announceContacts, contactAudience } from "./events.ts";
import { decodeCursor, encodeCursor } from "./presenter.ts";
import { NO_MEMBER, contactRepository as repo } from "./repository.ts";
import { foldForSearch, likeEscape, searchQuery } from "../search/normalize.ts";
import { notFound, type ContactsService } from "./service.ts";

type Who = Pick<Auth, "member" | "tenant">;

/**
 * The administrator's side (DESIGN §1): every contact of the company, whoever sees it; reassigning
 * the owner; changing privacy; Trash settings; the audit log. Admins read contacts here, not
 * through the member API, where they are members like any other.
 */
export function createContactsAdmin(deps: { db: Database; clock: () => Date; files: FileStore; contacts: ContactsService; authChanged: () => void }) {
  const { db, clock, files, contacts, authChanged } = deps;
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
        search: q.q ? searchQuery(q.q) : undefined,
        sort,
        after,
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      return { rows: page, nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!, sort) : null };
    },

    /**
     * One contact, in the Trash too, for the admin's details pane. Opening it is audited like a
     * member's view (DESIGN §2.9), so the log also answers "which admin looked at this contact".
     */
    /** Not audited as a view: the list shows every photo, and opening a contact is what History records. */
    async photo(who: Who, id: string) {
      requireAdmin(who);
      const row = await repo.get(db, who.tenant.id, NO_MEMBER, id);
      const bytes = row?.photo_key ? await files.get(row.photo_key) : undefined;
      if (!bytes) throw problems.notFound("Photo");
      return bytes;
    },

    get: (who: Who, id: string) =>
      db.transaction(async (tx) => {
        requireAdmin(who);
        const row = await repo.get(tx, who.tenant.id, NO_MEMBER, id);
        if (!row) throw notFound();
        await writeAudit(tx, { tenantId: who.tenant.id, actorId: who.member.id, action: "contact.view", targetType: "contact", targetId: id, detail: { admin: true } });
        return row;
      }),

    /** Hands the contact to another member; the previous owner keeps sight as a chosen member. */
    changeOwner: (who: Who, id: string, ownerId: string) =>
      db.transaction(async (tx) => {
        requireAdmin(who);
        const row = await adminRow(tx, who, id);
        const [member] = await tx.query<{ id: string }>("SELECT id FROM members WHERE tenant_id = $1 AND id = $2", [who.tenant.id, ownerId]);
        if (!member) throw problems.validation([{ path: "ownerId", message: "no such member in your company" }]);
        const before = await contactAudience(tx, who.tenant.id, [id]);
        await repo.setOwner(tx, id, ownerId, clock());
        await writeAudit(tx, {
          tenantId: who.tenant.id,
          actorId: who.member.id,
          action: "contact.owner",
          targetType: "contact",
          targetId: id,
          detail: { from: row.owner_id, to: ownerId },
        });
        const saved = (await repo.get(tx, who.tenant.id, NO_MEMBER, id))!;
        await announceContacts(tx, { tenantId: who.tenant.id, type: "contact.updated", contactIds: [id], before });
        return saved;
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
      }).finally(authChanged);
      return this.settings(who);
    },

    /**
     * Newest first; `q` searches the actor's name, the action, the target, the detail and the
     * contact's name (folded like the contact search, so かな/カナ and full/half width match).
     */
    async audit(who: Who, f: AuditFilter): Promise<{ rows: AuditRow[]; nextCursor: string | null }> {
      requireAdmin(who);
      const beforeId = f.cursor ? Number(f.cursor) : undefined;
      if (f.cursor && !Number.isSafeInteger(beforeId)) throw problems.validation([{ path: "cursor", message: "is not a cursor this API gave out" }]);
      const rows = await auditRepository.search(db, {
        tenantId: who.tenant.id,
        text: f.q ? likeEscape(f.q) : undefined,
        foldedText: f.q ? likeEscape(foldForSearch(f.q)) : undefined,
        action: f.action,
        target: f.target,
        from: f.from,
        to: f.to,
        beforeId,
        limit: f.limit + 1,
      });
      const page = rows.slice(0, f.limit);
      return { rows: page, nextCursor: rows.length > f.limit ? String(page.at(-1)!.id) : null };
    },
  };
}

export type ContactsAdmin = ReturnType<typeof createContactsAdmin>;
