import type { Queryable } from "../db/database.ts";
import { RealtimeEventTypeSchema } from "../../shared/realtime.ts";
import { realtimeRepository as repo } from "./repository.ts";

/** The one NOTIFY channel every instance's hub listens on. */
export const REALTIME_CHANNEL = "tsunagu_realtime";
// A NOTIFY payload must stay under 8000 bytes; 100 uuids as JSON are about 3.9 kB.
const NOTIFY_BATCH = 100;

export interface RealtimeMessage {
  tenantId: string;
  memberIds: readonly string[];
  type: string;
  data: unknown;
}

/**
 * Records an event for each recipient inside the caller's transaction and wakes every instance's
 * hub. Rows and notifications both become visible only at commit, so a rolled-back change never
 * reaches a browser.
 *
 * Each recipient's lock is held to the end of the transaction, which makes one member's event ids
 * commit in increasing order — hubs and resuming browsers read "id > last seen" and would
 * otherwise skip an id that committed late. So publish once per transaction, as its last step.
 * A recipient outside the tenant is a programming error and aborts the transaction.
 */
export async function publish(tx: Queryable, ev: RealtimeMessage): Promise<void> {
  RealtimeEventTypeSchema.parse(ev.type);
  const memberIds = [...new Set(ev.memberIds)];
  if (!memberIds.length) return;
  await repo.lockRecipients(tx, memberIds);
  const written = await repo.insertEvents(tx, { ...ev, memberIds });
  if (written.length !== memberIds.length) {
    const missing = memberIds.filter((id) => !written.includes(id));
    throw new Error(`realtime ${ev.type}: not members of tenant ${ev.tenantId}: ${missing.join(", ")}`);
  }
  for (let i = 0; i < memberIds.length; i += NOTIFY_BATCH) {
    await tx.notify(REALTIME_CHANNEL, JSON.stringify(memberIds.slice(i, i + NOTIFY_BATCH)));
  }
}

