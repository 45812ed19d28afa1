import type { Logger } from "pino";
import type { Database, Queryable } from "../db/database.ts";
import { sniffImage } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";
import { z } from "zod";
import { defineJob, enqueue } from "../jobs/queue.ts";
import type { LineEventHandlers } from "../line/handlers.ts";
import { lineRepository } from "../line/repository.ts";
import { writeAudit } from "../audit/audit.ts";
import { announceContacts, contactAudience } from "./events.ts";
import { editableOf, toWrite } from "./fields.ts";
import { storeContactPhoto } from "./photos.ts";
import { NO_MEMBER, contactRepository as repo } from "./repository.ts";
import { searchColumns } from "./search-text.ts";

export const AUDIT_RETENTION_DAYS = 180;
const SWEEP_EVERY_MS = 3600_000;
const BATCH = 500;
const DAY_MS = 86_400_000;

/** Contact ids grouped by company: a real-time event goes to one company's members. */
function byTenant(contacts: readonly { id: string; tenant_id: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const c of contacts) groups.set(c.tenant_id, [...(groups.get(c.tenant_id) ?? []), c.id]);
  return groups;
}

/** One `contact.updated` per company for the contacts a LINE profile change rewrote. */
async function announceUpdated(tx: Queryable, contacts: readonly { id: string; tenant_id: string }[]) {
  for (const [tenantId, contactIds] of byTenant(contacts)) await announceContacts(tx, { tenantId, type: "contact.updated", contactIds });
}

/**
 * The photo copy runs in the connector's avatar queue (its ordering key, profile-sync.ts), so it
 * starts only after the avatar job queued before it has stored the new picture.
 */
const linePhotoOrderingKey = (lineUserId: string) => `avatar:${lineUserId}`;

export interface LineSyncDeps {
  db: Database;
  files: FileStore;
  clock: () => Date;
  log: Logger;
}

export function createContactLineSync({ files, clock, log }: LineSyncDeps) {
  /** Copies the LINE user's cached avatar into each linked contact's own photo (or clears it when LINE has none). */
  async function copyLinePhoto(tx: Queryable, lineUserId: string) {
    const lineUser = await lineRepository.lineUser(tx, lineUserId);
    if (!lineUser) return;
    const contacts = await repo.linkedTo(tx, lineUserId);
    if (!lineUser.picture_url) {
      const cleared = contacts.filter((c) => c.photo_key);
      for (const c of cleared) await repo.setPhoto(tx, c.id, null, null, clock());
      await announceUpdated(tx, cleared);
      return;
    }
    const source = lineUser.picture_file_key;
    const stale = contacts.filter((c) => source && c.photo_source_key !== source);
    if (!source || stale.length === 0) return;
    const bytes = await files.get(source);
    if (!bytes || !(await sniffImage(bytes))) {
      log.warn({ lineUserId, source }, "cached LINE avatar missing; contact photos unchanged");
      return;
    }
    for (const c of stale) await repo.setPhoto(tx, c.id, await storeContactPhoto(files, c.id, bytes), source, clock());
    await announceUpdated(tx, stale);
  }

  const handlers: LineEventHandlers = {
    /** DESIGN §2.6: a new LINE name becomes every linked contact's nickname (the edited name stays). */
    async profileChanged(ctx, { before, after }) {
      if (after.picture_url !== before.picture_url || after.picture_file_key !== before.picture_file_key) {
        await queueLinePhoto(ctx.tx, after.id);
      }
      const renamed = after.display_name !== before.display_name && after.display_name !== null;
      const newPicture = after.picture_url !== before.picture_url;
      if (!renamed && !newPicture) return;
      const linked = await repo.linkedTo(ctx.tx, after.id);
      // Each sync that changed what the contact shows is in its history, by no member (LINE did it).
      for (const c of linked) {
        await writeAudit(ctx.tx, {
          tenantId: c.tenant_id,
          actorId: null,
          action: "contact.line_profile",
          targetType: "contact",
          targetId: c.id,
          detail: { ...(renamed ? { nickName: { from: before.display_name, to: after.display_name } } : {}), ...(newPicture ? { photo: true } : {}) },
        });
      }
      if (renamed && after.display_name !== null) {
        for (const c of linked) {
          const row = (await repo.get(ctx.tx, c.tenant_id, NO_MEMBER, c.id))!;
          const fields = editableOf(row);
          const w = toWrite({ ...fields, contactName: { ...fields.contactName, nickName: after.display_name } });
          await repo.setNickName(ctx.tx, c.id, after.display_name, w.search_text, w.sort_name, clock());
        }
        await announceUpdated(ctx.tx, linked);
      }
    },
  };

  const linePhotoJob = defineJob({
    kind: "contacts.line-photo",
    payload: z.object({ lineUserId: z.uuid() }),
    run: ({ lineUserId }, { tx }) => copyLinePhoto(tx, lineUserId),
  });
  const queueLinePhoto = (tx: Queryable, lineUserId: string) =>
    enqueue(tx, linePhotoJob, { lineUserId }, { orderingKey: linePhotoOrderingKey(lineUserId) });

  /** Trash older than the tenant's retention goes for good (DESIGN §2.9). */
  const purgeTrashJob = defineJob({
    kind: "contacts.purge-trash",
    payload: z.object({}),
    async run(_, { tx }) {
      const expired = await repo.expiredTrash(tx, clock(), BATCH);
      const groups = byTenant(expired);
      // Read before the rows go: afterwards no one "sees" them, yet their Trash lists still show them.
      const audiences = new Map<string, string[]>();
      for (const [tenantId, ids] of groups) audiences.set(tenantId, await contactAudience(tx, tenantId, ids));
      for (const c of expired) {
        const removed = await repo.remove(tx, c.id);
        await writeAudit(tx, { tenantId: c.tenant_id, actorId: null, action: "contact.purge", targetType: "contact", targetId: c.id });
        if (removed?.photo_key) await files.remove(removed.photo_key);
      }
      if (expired.length === BATCH) await enqueue(tx, purgeTrashJob, {});
      for (const [tenantId, contactIds] of groups) {
        await announceContacts(tx, { tenantId, type: "contact.removed", contactIds, before: audiences.get(tenantId) });
      }
    },
  });

  const purgeAuditJob = defineJob({
    kind: "contacts.purge-audit",
    payload: z.object({}),
    async run(_, { tx }) {
      await tx.query("DELETE FROM audit_log WHERE created_at < $1", [new Date(clock().getTime() - AUDIT_RETENTION_DAYS * DAY_MS)]);
    },
  });

  /**
   * Re-derives the stored search columns of every contact, a batch per run, after the shared
   * normalizer changed how they are derived (0015 queues the first run).
   */
  const searchRefreshJob = defineJob({
    kind: "contacts.search-refresh",
    payload: z.object({ after: z.uuid().optional() }),
    async run({ after }, { tx }) {
      const rows = await repo.searchSources(tx, after ?? null, BATCH);
      for (const r of rows) {
        const s = searchColumns({
          lastName: r.last_name,
          firstName: r.first_name,
          phoneticLastName: r.phonetic_last_name,
          phoneticFirstName: r.phonetic_first_name,
          nickName: r.nick_name,
          organizations: r.organizations,
          emails: r.emails,
          telephones: r.telephones,
        });
        if (s.searchText !== r.search_text || s.searchDigits !== r.search_digits || s.sortName !== r.sort_name) {
          await repo.setSearchColumns(tx, r.id, r.version, { search_text: s.searchText, search_digits: s.searchDigits, sort_name: s.sortName });
        }
      }
      if (rows.length === BATCH) await enqueue(tx, searchRefreshJob, { after: rows.at(-1)!.id });
    },
  });

  /** Hourly: purges, and photos a missed avatar left behind. */
  const sweepJob = defineJob({
    kind: "contacts.sweep",
    payload: z.object({}),
    everyMs: SWEEP_EVERY_MS,
    async run(_, { tx }) {
      await enqueue(tx, purgeTrashJob, {});
      await enqueue(tx, purgeAuditJob, {});
      for (const s of await repo.staleLinePhotos(tx, BATCH)) await queueLinePhoto(tx, s.line_user_id);
    },
  });

  return {
    handlers,
    jobs: [linePhotoJob, purgeTrashJob, purgeAuditJob, searchRefreshJob, sweepJob],
    queueLinePhoto,
  };
}
