import type { Logger } from "pino";
import type { Database } from "../db/database.ts";
import { REALTIME_READY, REALTIME_RESET } from "../../shared/realtime.ts";
import { OUTBOX_CHANNEL, REALTIME_CHANNEL, notifyRecipients } from "./publish.ts";
import { realtimeRepository as repo, type RealtimeEventRow, type Recipient } from "./repository.ts";

export type RealtimeEvent = RealtimeEventRow;
/** Called once per event, never concurrently for one subscription; delivery waits for it. */
export type OnRealtimeEvent = (ev: RealtimeEvent) => void | Promise<void>;

/** Why a subscription ended: the subscriber left or its delivery failed, or this instance is shutting down. */
export type SubscriptionEnd = "ended" | "hub closed";

/** Subscribing to an instance that is shutting down: the subscriber should reconnect elsewhere. */
export class HubClosedError extends Error {
  constructor() {
    super("the real-time hub is closed");
  }
}

export interface Subscription {
  unsubscribe(): void;
  /** Settles when the subscription ends: unsubscribed, delivery failed, or the hub closed. */
  closed: Promise<SubscriptionEnd>;
}

export interface RealtimeHub {
  /**
   * Resolves once the subscriber's starting point is fixed and its first event (`ready`, or
   * `reset` when lastEventId is older than what is kept) has been delivered; from then on every
   * event committed for the recipient is delivered, after the ones following lastEventId.
   */
  subscribe(recipient: Recipient, lastEventId: number | undefined, onEvent: OnRealtimeEvent): Promise<Subscription>;
  subscriberCount(): number;
  close(): Promise<void>;
}

export interface HubOptions {
  /**
   * How often to look for events whose notification never arrived (the LISTEN connection was
   * replaced, a notify was lost); 0 turns it off. Notifications carry the normal load.
   */
  sweepMs?: number;
  batchSize?: number;
}

interface Subscriber {
  recipient: Recipient;
  onEvent: OnRealtimeEvent;
  cursor: number;
  pumping: boolean;
  dirty: boolean;
  done: boolean;
  end: (why?: SubscriptionEnd) => void;
}

/**
 * One LISTEN connection per process. A notification names the members who have new rows; the
 * hub reads each affected subscriber's rows after the id it last delivered. Every instance
 * listens on the shared database, so an event committed anywhere reaches subscribers everywhere.
 */
export async function createRealtimeHub(db: Database, log: Logger, opts: HubOptions = {}): Promise<RealtimeHub> {
  const batchSize = opts.batchSize ?? 200;
  const byMember = new Map<string, Set<Subscriber>>();
  let closed = false;

  async function pump(s: Subscriber) {
    if (s.pumping) {
      s.dirty = true;
      return;
    }
    s.pumping = true;
    try {
      do {
        s.dirty = false;
        const rows = await repo.eventsAfter(db, s.recipient, s.cursor, batchSize);
        for (const row of rows) {
          if (s.done) return;
          await s.onEvent(row);
          s.cursor = row.id;
        }
        if (rows.length === batchSize) s.dirty = true;
      } while (s.dirty && !s.done);
    } catch (err) {
      if (!s.done && !closed) log.warn({ err, memberId: s.recipient.memberId }, "real-time delivery failed; subscription ended");
      s.end();
    } finally {
      s.pumping = false;
    }
  }

  /**
   * The sequencer: moves committed outbox rows into realtime_events (one instance at a time, under
   * the repository's lock) and wakes the recipients' hubs. One pass at a time per process; a
   * notification during a pass makes it go round again.
   */
  let sequencing: Promise<void> | undefined;
  let sequenceAgain = false;
  const SEQUENCE_BATCH = 1000;
  function sequence(): Promise<void> {
    if (sequencing) {
      sequenceAgain = true;
      return sequencing;
    }
    sequencing = (async () => {
      do {
        sequenceAgain = false;
        const moved = await db.transaction(async (tx) => {
          const memberIds = await repo.sequence(tx, SEQUENCE_BATCH);
          await notifyRecipients(tx, memberIds);
          return memberIds.length;
        });
        if (moved === SEQUENCE_BATCH) sequenceAgain = true;
      } while (sequenceAgain && !closed);
    })()
      .catch((err: unknown) => {
        if (!closed) log.warn({ err }, "real-time sequencing failed; the next notification or sweep retries");
      })
      .finally(() => (sequencing = undefined));
    return sequencing;
  }

  function wake(memberId: string) {
    for (const s of byMember.get(memberId) ?? []) void pump(s);
  }

  const unlisten = await db.listen(REALTIME_CHANNEL, (payload) => {
    let memberIds: unknown;
    try {
      memberIds = JSON.parse(payload);
    } catch {
      memberIds = undefined;
    }
    if (!Array.isArray(memberIds)) {
      log.warn({ payload }, "ignoring a malformed real-time notification");
      return;
    }
    for (const id of memberIds) if (typeof id === "string") wake(id);
    // Notifications sent while the connection was being re-opened are found by a sweep at once.
  }, () => void sweep());

  const unlistenOutbox = await db.listen(OUTBOX_CHANNEL, () => void sequence(), () => void sequence());

  const sweep = async () => {
    // Outbox rows whose notification was lost (a crash between commit and NOTIFY).
    await sequence();
    if (!byMember.size) return;
    try {
      const latest = await repo.latestIds(db, [...byMember.keys()]);
      for (const [memberId, id] of latest) {
        for (const s of byMember.get(memberId) ?? []) if (id > s.cursor) void pump(s);
      }
    } catch (err) {
      if (!closed) log.warn({ err }, "real-time sweep failed");
    }
  };
  const sweepTimer = opts.sweepMs === 0 ? undefined : setInterval(() => void sweep(), opts.sweepMs ?? 15_000);
  sweepTimer?.unref();

  return {
    async subscribe(recipient, lastEventId, onEvent) {
      if (closed) throw new HubClosedError();
      let resolveClosed!: (why: SubscriptionEnd) => void;
      const closedPromise = new Promise<SubscriptionEnd>((r) => (resolveClosed = r));
      // Registered before the starting point is read, with pumping held, so a notification that
      // arrives meanwhile is remembered (dirty) instead of lost or read from the wrong point.
      const s: Subscriber = {
        recipient,
        onEvent,
        cursor: 0,
        pumping: true,
        dirty: false,
        done: false,
        end(why = "ended") {
          if (s.done) return;
          s.done = true;
          const set = byMember.get(recipient.memberId);
          set?.delete(s);
          if (set?.size === 0) byMember.delete(recipient.memberId);
          resolveClosed(why);
        },
      };
      const set = byMember.get(recipient.memberId) ?? new Set<Subscriber>();
      byMember.set(recipient.memberId, set.add(s));
      try {
        // Events committed before this subscription are sequenced first, so the starting point
        // is after them, as it would have been had they been sequenced at once.
        await sequence();
        const start = await repo.startPoint(db, recipient);
        // Resuming from before what pruning removed, or from an id this member never had (a
        // restored backup), cannot be replayed faithfully: start from now and say so.
        // (The member's ids commit in order, so none of theirs below `newest` is still to come.)
        const newest = Math.max(start.latest, start.prunedThrough);
        const resumable = lastEventId !== undefined && lastEventId >= start.prunedThrough && lastEventId <= newest;
        s.cursor = resumable ? lastEventId : newest;
        const reset = lastEventId !== undefined && !resumable;
        await onEvent({ id: s.cursor, type: reset ? REALTIME_RESET : REALTIME_READY, data: {} });
      } catch (err) {
        s.end();
        throw err;
      }
      s.pumping = false;
      if (!s.done) void pump(s);
      return { unsubscribe: () => s.end(), closed: closedPromise };
    },
    subscriberCount() {
      let n = 0;
      for (const set of byMember.values()) n += set.size;
      return n;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (sweepTimer) clearInterval(sweepTimer);
      for (const set of [...byMember.values()]) for (const s of [...set]) s.end("hub closed");
      await unlisten();
      await unlistenOutbox();
      await sequencing;
    },
  };
}
