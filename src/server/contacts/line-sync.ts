import type { Logger } from "pino";
import type { Database, Queryable } from "../db/database.ts";
import { sniffImage } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";
import { enqueue, type JobHandler } from "../jobs/queue.ts";
import type { LineEventHandlers } from "../line/handlers.ts";
import { lineRepository } from "../line/repository.ts";
import { writeAudit } from "../audit/audit.ts";
import { announceContacts, contactAudience } from "./events.ts";
import { editableOf, toWrite } from "./fields.ts";
import { storeContactPhoto } from "./photos.ts";
import { NO_MEMBER, contactRepository as repo } from "./repository.ts";

export const LINE_PHOTO_JOB = "contacts.line-photo";
export const SWEEP_JOB = "contacts.sweep";
export const PURGE_TRASH_JOB = "contacts.purge-trash";
export const PURGE_AUDIT_JOB = "contacts.purge-audit";
export const AUDIT_RETENTION_DAYS = 180;
const SWEEP_EVERY_MS = 3600_000;
const BATCH = 500;
const SWEEP_LOCK = 727_007;
const DAY_MS = 86_400_000;

/** Contact ids grouped by company: a real-time event goes to one company's members. */
function byTenant(contacts: readonly { id: string; tenant_id: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const c of contacts) groups.set(c.tenant_id, [...(groups.get(c.tenant_id) ?? []), c.id]);
  return groups;
}

/** One `contact.updated` per company for the contacts a LINE profile change rewrote; the caller's last write. */
async function announceUpdated(tx: Queryable, contacts: readonly { id: string; tenant_id: string }[]) {
  for (const [tenantId, contactIds] of byTenant(contacts)) await announceContacts(tx, { tenantId, type: "contact.updated", contactIds });
}

/**
 * The photo copy runs in the connector's avatar queue (its ordering key, profile-sync.ts), so it
 * starts only after the avatar job queued before it has stored the new picture.
 */
export const linePhotoOrderingKey = (lineUserId: string) => `avatar:${lineUserId}`;

export interface LineSyncDeps {
  db: Database;
  files: FileStore;
  clock: () => Date;
  log: Logger;
}

export function createContactLineSync({ db, files, clock, log }: LineSyncDeps) {
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
        await enqueue(ctx.tx, { kind: LINE_PHOTO_JOB, payload: { lineUserId: after.id }, orderingKey: linePhotoOrderingKey(after.id) });
      }
      if (after.display_name !== before.display_name && after.display_name !== null) {
        const linked = await repo.linkedTo(ctx.tx, after.id);
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

  const jobs: Record<string, JobHandler> = {
    async [LINE_PHOTO_JOB](job, tx) {
      await copyLinePhoto(tx, (job.payload as { lineUserId: string }).lineUserId);
    },

    /** Trash older than the tenant's retention goes for good (DESIGN §2.9). */
    async [PURGE_TRASH_JOB](_job, tx) {
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
      if (expired.length === BATCH) await enqueue(tx, { kind: PURGE_TRASH_JOB });
      for (const [tenantId, contactIds] of groups) {
        await announceContacts(tx, { tenantId, type: "contact.removed", contactIds, before: audiences.get(tenantId) });
      }
    },

    async [PURGE_AUDIT_JOB](_job, tx) {
      await tx.query("DELETE FROM audit_log WHERE created_at < $1", [new Date(clock().getTime() - AUDIT_RETENTION_DAYS * DAY_MS)]);
    },

    /** Hourly: purges, and photos a missed avatar left behind; then schedules itself again. */
    async [SWEEP_JOB](_job, tx) {
      await enqueue(tx, { kind: PURGE_TRASH_JOB });
      await enqueue(tx, { kind: PURGE_AUDIT_JOB });
      for (const s of await repo.staleLinePhotos(tx, BATCH)) {
        await enqueue(tx, { kind: LINE_PHOTO_JOB, payload: { lineUserId: s.line_user_id }, orderingKey: linePhotoOrderingKey(s.line_user_id) });
      }
      await enqueue(tx, { kind: SWEEP_JOB, runAt: new Date(clock().getTime() + SWEEP_EVERY_MS) });
    },
  };

  return {
    handlers,
    jobs,
    /** Makes sure one sweep is scheduled, even when several instances start at once. */
    async scheduleSweep() {
      await db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1)", [SWEEP_LOCK]);
        const [row] = await tx.query<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE kind = $1 AND state = 'pending'", [SWEEP_JOB]);
        if (row!.n === 0) await enqueue(tx, { kind: SWEEP_JOB });
      });
    },
  };
}
