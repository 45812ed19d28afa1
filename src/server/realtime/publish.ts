import type { Queryable } from "../db/database.ts";
import { RealtimeEventTypeSchema } from "../../shared/realtime.ts";
import { realtimeRepository as repo } from "./repository.ts";

/** The NOTIFY channel every instance's hub listens on: members with new events. */
export const REALTIME_CHANNEL = "tsunagu_realtime";
/** New outbox rows to sequence. */
export const OUTBOX_CHANNEL = "tsunagu_realtime_outbox";
const NOTIFY_BATCH = 100;

export interface RealtimeMessage {
  tenantId: string;
  memberIds: readonly string[];
  type: string;
  data: unknown;
}

/**
 * Records an event for each recipient inside the caller's transaction (the outbox) and wakes the
 * sequencer once it commits; a rolled-back change never reaches a browser. Takes no lock, so
 * publishers to the same member do not wait for each other. A recipient outside the tenant is a
 * programming error and aborts the transaction.
 */
export async function publish(tx: Queryable, ev: RealtimeMessage): Promise<void> {
  RealtimeEventTypeSchema.parse(ev.type);
  const memberIds = [...new Set(ev.memberIds)];
  if (!memberIds.length) return;
  const written = await repo.insertOutbox(tx, { ...ev, memberIds });
  if (written.length !== memberIds.length) {
    const missing = memberIds.filter((id) => !written.includes(id));
    throw new Error(`realtime ${ev.type}: not members of tenant ${ev.tenantId}: ${missing.join(", ")}`);
  }
  await tx.notify(OUTBOX_CHANNEL, "");
}

/**
 * publish for many events in one statement, in their order (the set-based drain). A recipient
 * outside its tenant aborts the transaction as it does in publish.
 */
export async function publishMany(tx: Queryable, evs: readonly RealtimeMessage[]): Promise<void> {
  const unique = evs.map((ev) => {
    RealtimeEventTypeSchema.parse(ev.type);
    return { ...ev, memberIds: [...new Set(ev.memberIds)] };
  });
  const expected = unique.reduce((n, ev) => n + ev.memberIds.length, 0);
  if (!expected) return;
  const written = await repo.insertOutboxMany(tx, unique);
  if (written !== expected) throw new Error(`realtime: ${expected - written} recipients are not members of their event's tenant`);
  await tx.notify(OUTBOX_CHANNEL, "");
}

/** Wakes the members' hubs after the sequencer moved their events; 100 uuids as JSON (~3.9 kB) stay under NOTIFY's 8,000 bytes. */
export async function notifyRecipients(tx: Queryable, memberIds: readonly string[]): Promise<void> {
  const unique = [...new Set(memberIds)];
  for (let i = 0; i < unique.length; i += NOTIFY_BATCH) await tx.notify(REALTIME_CHANNEL, JSON.stringify(unique.slice(i, i + NOTIFY_BATCH)));
}
