import type { Logger } from "pino";
import type { ContactEventType, ContactFields, ContactListOptions, CreateContactInput, PermissionInput } from "../../shared/contacts.ts";
import type { FieldError } from "../../shared/problems.ts";
import { writeAudit, writeAudits } from "../audit/audit.ts";
import type { Database, Queryable } from "../db/database.ts";
import { assertLineAccess } from "../directory/gate.ts";
import type { Auth } from "../directory/service.ts";
import { sniffImage } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";
import { Problem, problems } from "../http/problem.ts";
import { publish } from "../realtime/publish.ts";
import { messageRepository } from "../rooms/messages-repository.ts";
import { announceContacts, contactAudience } from "./events.ts";
import { EMPTY_CONTACT, assertIdentifiable, assertReachable, assertUnlocked, changedFields, editableOf, fieldLocked, mergeFields, toWrite, type EditableContact } from "./fields.ts";
import { storeContactPhoto } from "./photos.ts";
import { decodeCursor, encodeCursor } from "./presenter.ts";
import { contactRepository as repo, type AccessEntry, type ContactRow } from "./repository.ts";
import { searchQuery } from "../search/normalize.ts";
import type { ParsedCard } from "./vcard.ts";
import type { SkippedCard } from "./import-repository.ts";
import { assertKnownEntries, assertNoChatterLosesSight, assertNotInConversation, type Sharing } from "./sharing.ts";

export interface ContactsDeps {
  db: Database;
  files: FileStore;
  clock: () => Date;
  log: Logger;
  /** Copies the LINE user's photo into their contacts once the connector has cached it (line-sync.ts). */
  queueLinePhoto: (tx: Queryable, lineUserId: string) => Promise<void>;
}

/** A signed-in request's `Auth` brings the member's teams; other callers leave them to be read. */
type Who = Pick<Auth, "member" | "tenant"> & Partial<Pick<Auth, "teamIds">>;

const sharingOf = (r: ContactRow): Sharing => ({ range: r.access_range, ownerId: r.owner_id, entries: r.accessible });

export const notFound = () => problems.notFound("Contact");
const readOnly = () =>
  new Problem(403, "contact_read_only", "You can only view this contact", "Only the owner, or members while co-editing is on, can change it.");
const ownerOnly = () => new Problem(403, "contact_owner_only", "Only the owner can do this", "Only the contact's owner can change who sees it.");

export function createContactsService(deps: ContactsDeps) {
  const { db, files, clock } = deps;

  const audit = (tx: Queryable, who: Who, action: string, contactId: string, detail?: object) =>
    writeAudit(tx, { tenantId: who.tenant.id, actorId: who.member.id, action, targetType: "contact", targetId: contactId, detail });

  async function read(tx: Queryable, who: Who, id: string): Promise<ContactRow> {
    const row = await repo.get(tx, who.tenant.id, who.member.id, id);
    if (!row || !row.visible || row.deleted_at) throw notFound();
    return row;
  }

  /** A live contact the member may edit, locked for the rest of the transaction. */
  async function forEdit(tx: Queryable, who: Who, id: string): Promise<ContactRow> {
    await repo.lock(tx, who.tenant.id, id);
    const row = await read(tx, who, id);
    if (!row.editable) throw readOnly();
    return row;
  }

  /** A contact in the member's Trash (deleted, and editable by them). */
  async function inTrash(tx: Queryable, who: Who, id: string): Promise<ContactRow> {
    await repo.lock(tx, who.tenant.id, id);
    const row = await repo.get(tx, who.tenant.id, who.member.id, id);
    if (!row || !row.deleted_at || !row.editable) throw notFound();
    return row;
  }

  const reload = async (tx: Queryable, who: Who, id: string) => (await repo.get(tx, who.tenant.id, who.member.id, id))!;

  /** The change's real-time event, delivered once the transaction commits. */
  const announce = (tx: Queryable, who: Who, type: ContactEventType, id: string, before?: string[]) =>
    announceContacts(tx, { tenantId: who.tenant.id, type, contactIds: [id], before });

  async function assertQuota(tx: Queryable, tenantId: string, adding = 1) {
    const { count, quota } = await repo.lockedCount(tx, tenantId);
    if (count + adding > quota) {
      throw new Problem(409, "contact_quota_exceeded", "Contact limit reached", `Your company can keep ${quota} contacts (Trash included). Empty the Trash or ask your administrator.`, {
        quota,
        count,
        params: { quota },
      });
    }
  }

  async function applyTags(tx: Queryable, who: Who, id: string, tags: ContactFields["tags"]) {
    const changed: string[] = [];
    if (tags?.company && (await repo.setTags(tx, id, "company", who.member.id, tags.company))) changed.push("company");
    if (tags?.mine && (await repo.setTags(tx, id, "mine", who.member.id, tags.mine))) changed.push("mine");
    if (changed.length) await audit(tx, who, "contact.tags", id, { kinds: changed, tags });
    return changed.length > 0;
  }

  /** Inserts a contact owned by `who` with the given privacy, or the company's default. */
  async function insert(tx: Queryable, who: Who, fields: EditableContact, opts: { lineUserId?: string; permission?: PermissionInput } = {}) {
    const { permission } = opts;
    const range = permission?.accessibleRange ?? (await repo.settings(tx, who.tenant.id)).contact_default_access;
    const entries = (permission?.accessibleMembers ?? []).filter((e) => !(e.type === "MEMBER" && e.id === who.member.id));
    await assertKnownEntries(tx, who.tenant.id, entries);
    const [id] = (await repo.insert(tx, [
      {
        ...toWrite(fields),
        tenant_id: who.tenant.id,
        line_user_id: opts.lineUserId ?? null,
        access_range: range,
        co_editing: permission?.isCoEditing ?? false,
        created_by: who.member.id,
        at: clock(),
      },
    ])) as [string];
    // A new contact has no other access rows to replace.
    if (entries.length) await repo.replaceEntries(tx, id, entries);
    return id;
  }

  async function deleteOne(tx: Queryable, who: Who, id: string) {
    const row = await forEdit(tx, who, id);
    await assertNotInConversation(tx, who.tenant.id, row.line_user_id, who.member.id);
    await repo.setDeleted(tx, id, who.member.id, clock());
    await audit(tx, who, "contact.delete", id);
    await announce(tx, who, "contact.deleted", id);
  }

  return {
    list: (who: Who, q: ContactListOptions, trash = false) => listRows(db, who, q, trash),

    /** Opening a contact is audited (DESIGN §2.9: views are in the audit log). */
    get: (who: Who, id: string) =>
      db.transaction(async (tx) => {
        const row = await read(tx, who, id);
        await audit(tx, who, "contact.view", id);
        return row;
      }),

    create: (who: Who, body: CreateContactInput) =>
      db.transaction(async (tx) => {
        if (body.photo !== undefined) throw problems.validation([{ path: "photo", message: "upload a photo with PUT /contacts/{id}/photo" }]);
        const fields = mergeFields(EMPTY_CONTACT, body);
        assertReachable(fields);
        await assertQuota(tx, who.tenant.id);
        const id = await insert(tx, who, fields, { permission: body.permission });
        await audit(tx, who, "contact.add", id, { source: "manual" });
        await applyTags(tx, who, id, body.tags);
        const created = await reload(tx, who, id);
        await announce(tx, who, "contact.created", id);
        return created;
      }),

    /**
     * Add LINE Contact from a room (DESIGN §2.4, §2.7): name = nickname = LINE display name,
     * photo from LINE. A contact of this LINE user the member already sees is returned instead
     * of a duplicate; one in their Trash is offered for restore.
     */
    async addFromRoom(who: Who, roomId: string): Promise<{ created: boolean; row: ContactRow }> {
      assertLineAccess(who.tenant, who.member);
      return db.transaction(async (tx) => {
        const room = await repo.room(tx, who.tenant.id, who.member.id, roomId);
        if (!room) throw problems.notFound("Room");
        // Two taps (or two tabs) must not make two contacts.
        await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`contact-line:${who.tenant.id}:${room.line_user_id}`]);
        const existing = await repo.ofLineUserFor(tx, who.tenant.id, who.member.id, room.line_user_id);
        const visible = existing.find((e) => !e.deleted && e.visible);
        if (visible) return { created: false, row: await reload(tx, who, visible.id) };
        const trashed = existing.find((e) => e.deleted && e.editable);
        if (trashed) {
          throw new Problem(409, "contact_in_trash", "This LINE user is in your Trash", "Restore the contact from the Trash instead of adding it again.", {
            contactId: trashed.id,
          });
        }
        await assertQuota(tx, who.tenant.id);
        const name = room.display_name ?? "";
        const fields: EditableContact = { ...EMPTY_CONTACT, contactName: { ...EMPTY_CONTACT.contactName, lastName: name, nickName: name } };
        const id = await insert(tx, who, fields, { lineUserId: room.line_user_id });
        const avatar = room.picture_file_key ? await files.get(room.picture_file_key) : undefined;
        if (avatar && (await sniffImage(avatar))) {
          await repo.setPhoto(tx, id, await storeContactPhoto(files, id, avatar), room.picture_file_key, clock());
        } else if (room.picture_url) {
          // The avatar is still being downloaded: copy it once the connector's job has it.
          await deps.queueLinePhoto(tx, room.line_user_id);
        }
        await audit(tx, who, "contact.add", id, { source: "line", lineUserId: room.line_user_id, roomId });
        // The room's history shows when the LINE user became a contact (issue 14).
        const line = await messageRepository.insertSystem(tx, { tenantId: who.tenant.id, roomId, line: { event: "contact_added", memberName: who.member.display_name }, at: clock() });
        await publish(tx, { tenantId: who.tenant.id, memberIds: [who.member.id], type: "message.created", data: { roomId, messageId: line.id } });
        const created = await reload(tx, who, id);
        await announce(tx, who, "contact.created", id);
        return { created: true, row: created };
      });
    },

    /** Which contact of the room's LINE user I see, so the room shows it across reloads (the rule addFromRoom opens by). */
    async ofRoom(who: Who, roomId: string): Promise<{ contactId: string | null }> {
      assertLineAccess(who.tenant, who.member);
      const room = await repo.room(db, who.tenant.id, who.member.id, roomId);
      if (!room) throw problems.notFound("Room");
      const existing = await repo.ofLineUserFor(db, who.tenant.id, who.member.id, room.line_user_id);
      return { contactId: existing.find((e) => !e.deleted && e.visible)?.id ?? null };
    },

    /** PATCH with optimistic concurrency: `expectedVersion` comes from If-Match. */
    update: (who: Who, id: string, expectedVersion: number | undefined, patch: ContactFields) =>
      db.transaction(async (tx) => {
        if (expectedVersion === undefined) {
          throw new Problem(428, "precondition_required", "If-Match required", 'Send If-Match: "<version>" with the version you edited.');
        }
        const row = await forEdit(tx, who, id);
        const current = editableOf(row);
        assertUnlocked(row.line_user_id !== null, current, patch);
        if (row.version !== expectedVersion) {
          throw new Problem(412, "version_conflict", "Changed by someone else", "The contact changed since you opened it; reload and apply your edit again.", {
            currentVersion: row.version,
          });
        }
        const next = mergeFields(current, patch);
        if (!row.line_user_id) assertReachable(next);
        const fieldKeys = changedFields(current, next);
        if (fieldKeys.length) {
          if (!(await repo.update(tx, id, expectedVersion, toWrite(next), clock()))) throw new Problem(412, "version_conflict", "Changed by someone else", "Reload and try again.");
          await audit(tx, who, "contact.edit", id, { fields: fieldKeys });
        }
        const tagged = await applyTags(tx, who, id, patch.tags);
        const photoCleared = patch.photo === null && row.photo_key !== null;
        if (photoCleared) {
          await repo.setPhoto(tx, id, null, null, clock());
          await audit(tx, who, "contact.edit", id, { fields: ["photo"] });
        } else if (tagged && !fieldKeys.length) {
          await repo.touch(tx, id, clock());
        }
        const saved = await reload(tx, who, id);
        if (fieldKeys.length || tagged || photoCleared) await announce(tx, who, "contact.updated", id);
        return saved;
      }),

    setPhoto: async (who: Who, id: string, bytes: Uint8Array) =>
      db.transaction(async (tx) => {
        const row = await forEdit(tx, who, id);
        if (row.line_user_id) throw fieldLocked("photo");
        const key = await storeContactPhoto(files, id, bytes);
        await repo.setPhoto(tx, id, key, null, clock());
        await audit(tx, who, "contact.edit", id, { fields: ["photo"] });
        if (row.photo_key && row.photo_key !== key) await files.remove(row.photo_key);
        const saved = await reload(tx, who, id);
        await announce(tx, who, "contact.updated", id);
        return saved;
      }),

    async photo(who: Who, id: string) {
      const row = await repo.get(db, who.tenant.id, who.member.id, id);
      // Trash items show their photo too, to whoever has them in their Trash.
      const allowed = row && (row.deleted_at ? row.editable : row.visible);
      const bytes = allowed && row.photo_key ? await files.get(row.photo_key) : undefined;
      if (!bytes) throw problems.notFound("Photo");
      return bytes;
    },

    /** The owner decides who sees the contact; a chatting member cannot be cut off (DESIGN §2.7). */
    setPermission: (who: Who, id: string, body: PermissionInput) =>
      db.transaction(async (tx) => {
        const row = await forEditOrOwner(tx, who, id);
        return changePermission(tx, who, row, body);
      }),

    delete: (who: Who, id: string) => db.transaction((tx) => deleteOne(tx, who, id)),

    async bulkDelete(who: Who, ids: string[]) {
      const results = [];
      for (const id of ids) {
        try {
          await db.transaction((tx) => deleteOne(tx, who, id));
          results.push({ contactId: id, ok: true });
        } catch (err) {
          if (!(err instanceof Problem)) throw err;
          results.push({ contactId: id, ok: false, code: err.code, detail: err.detail });
        }
      }
      return results;
    },

    /** Back exactly as it was: fields, tags and sharing were never touched by the delete. */
    restore: (who: Who, id: string) =>
      db.transaction(async (tx) => {
        await inTrash(tx, who, id);
        await repo.setDeleted(tx, id, null, null);
        await audit(tx, who, "contact.restore", id);
        const restored = await reload(tx, who, id);
        await announce(tx, who, "contact.restored", id);
        return restored;
      }),

    permanentDelete: (who: Who, id: string) =>
      db.transaction(async (tx) => {
        await inTrash(tx, who, id);
        const before = await contactAudience(tx, who.tenant.id, [id]);
        const removed = await repo.remove(tx, id);
        await audit(tx, who, "contact.permanent_delete", id);
        await announce(tx, who, "contact.removed", id, before);
        if (removed?.photo_key) await files.remove(removed.photo_key);
      }),

    /** Rows for vCard export: the given ids (each must be visible) or every contact the member sees. */
    async exportRows(who: Who, ids?: string[]) {
      return db.transaction(async (tx) => {
        const rows: ContactRow[] = [];
        if (ids) {
          for (const id of ids) rows.push(await read(tx, who, id));
        } else {
          let after: string | undefined;
          for (;;) {
            const page = await listRows(tx, who, { tab: "all", sort: "name", limit: 100, cursor: after }, false);
            rows.push(...page.rows);
            if (!page.nextCursor) break;
            after = page.nextCursor;
          }
        }
        await writeAudit(tx, { tenantId: who.tenant.id, actorId: who.member.id, action: "contact.export", targetType: "contact", detail: { count: rows.length, ids: rows.map((r) => r.id) } });
        return rows;
      });
    },

    /**
     * Cards of a vCard import, inside the caller's transaction: each card becomes a manual contact
     * by the rules of `create` (identifiable, within the quota, audited) or is skipped with its
     * reasons. Every card is checked before anything is written, so a skipped card leaves nothing
     * behind; then the accepted ones go in together — one statement for the contacts and their
     * owners, one for their audit entries (a card at a time cost five statements a card) — and
     * only cards that carry tags or chosen members add statements of their own. Answers the new
     * contacts' ids, for the caller to announce (imports.ts: once a second, not per transaction).
     */
    async importCards(tx: Queryable, who: Who, cards: { index: number; name: string; card: ParsedCard }[], importId: string) {
      const skipped: SkippedCard[] = [];
      const skip = (index: number, name: string, problems: FieldError[]) =>
        skipped.push({ index, name, errors: problems.map((p) => `${p.path}: ${p.message}`), problems });
      const { count, quota } = await repo.lockedCount(tx, who.tenant.id);
      const { contact_default_access: defaultAccess } = await repo.settings(tx, who.tenant.id);
      const accepted: { fields: EditableContact; card: NonNullable<ParsedCard["fields"]>; entries: AccessEntry[] }[] = [];
      for (const { index, name, card } of cards) {
        if (!card.fields) {
          skip(index, name, card.errors ?? []);
          continue;
        }
        try {
          const fields = mergeFields(EMPTY_CONTACT, card.fields);
          // Not assertReachable: a card may be a LINE contact exported from here, with neither phone nor e-mail.
          assertIdentifiable(fields);
          // The cards accepted before this one are not written yet: they count as if they were.
          if (count + accepted.length >= quota) await assertQuota(tx, who.tenant.id, accepted.length + 1);
          const entries = (card.fields.permission?.accessibleMembers ?? []).filter((e) => !(e.type === "MEMBER" && e.id === who.member.id));
          await assertKnownEntries(tx, who.tenant.id, entries);
          accepted.push({ fields, card: card.fields, entries });
        } catch (err) {
          if (!(err instanceof Problem)) throw err;
          const errors = err.extra.errors as FieldError[] | undefined;
          skip(index, name, errors ?? [{ path: "(card)", message: err.detail ?? err.title, code: err.code }]);
        }
      }
      const at = clock();
      const ids = await repo.insert(
        tx,
        accepted.map(({ fields, card }) => ({
          ...toWrite(fields),
          tenant_id: who.tenant.id,
          line_user_id: null,
          access_range: card.permission?.accessibleRange ?? defaultAccess,
          co_editing: card.permission?.isCoEditing ?? false,
          created_by: who.member.id,
          at,
        })),
      );
      await writeAudits(
        tx,
        ids.map((id) => ({ tenantId: who.tenant.id, actorId: who.member.id, action: "contact.add", targetType: "contact", targetId: id, detail: { source: "import", importId } })),
      );
      for (const [i, id] of ids.entries()) {
        const { card, entries } = accepted[i]!;
        if (entries.length) await repo.replaceEntries(tx, id, entries);
        await applyTags(tx, who, id, card.tags);
      }
      return { skipped, ids };
    },

    changePermission,
    sharingOf,
  };

  async function listRows(q: Queryable, who: Who, opts: ContactListOptions, trash: boolean) {
    const after = opts.cursor ? decodeCursor(opts.cursor, opts.sort) : undefined;
    if (opts.cursor && !after) throw problems.validation([{ path: "cursor", message: "is not a cursor this API gave out for this sort" }]);
    const rows = await repo.list(q, {
      tenantId: who.tenant.id,
      memberId: who.member.id,
      teamIds: who.teamIds,
      lineOnly: opts.tab === "line",
      search: opts.q ? searchQuery(opts.q) : undefined,
      tag: opts.tag,
      trash,
      sort: opts.sort,
      after,
      limit: opts.limit + 1,
    });
    const page = rows.slice(0, opts.limit);
    return { rows: page, nextCursor: rows.length > opts.limit ? encodeCursor(page.at(-1)!, opts.sort) : null };
  }

  async function forEditOrOwner(tx: Queryable, who: Who, id: string) {
    await repo.lock(tx, who.tenant.id, id);
    const row = await read(tx, who, id);
    if (row.owner_id !== who.member.id) throw ownerOnly();
    return row;
  }

  /** `viewerId` is whose view of the contact is returned (the admin screen passes NO_MEMBER). */
  async function changePermission(tx: Queryable, who: Who, row: ContactRow, body: PermissionInput, viewerId = who.member.id) {
    const owner = row.owner_id;
    const entries = body.accessibleMembers.filter((e) => !(e.type === "MEMBER" && e.id === owner));
    await assertKnownEntries(tx, who.tenant.id, entries);
    const after: Sharing = { range: body.accessibleRange, ownerId: owner, entries };
    await assertNoChatterLosesSight(tx, who.tenant.id, row.line_user_id, sharingOf(row), after);
    const before = await contactAudience(tx, who.tenant.id, [row.id]);
    await repo.setPermission(tx, row.id, body.accessibleRange, body.isCoEditing, entries, clock());
    await audit(tx, who, "contact.permission", row.id, { accessibleRange: body.accessibleRange, isCoEditing: body.isCoEditing, accessibleMembers: entries });
    const saved = (await repo.get(tx, who.tenant.id, viewerId, row.id))!;
    await announce(tx, who, "contact.updated", row.id, before);
    return saved;
  }
}

export type ContactsService = ReturnType<typeof createContactsService>;
