import type { webhook } from "@line/bot-sdk";
import type { Logger } from "pino";
import { isConnectionError, type Database, type Queryable } from "../db/database.ts";
import { z } from "zod";
import { createGroupCommit } from "../db/group-commit.ts";
import { backoffMs, defineJob, enqueueFromQuery, enqueueMany, type JobFeeder, type ManyJob } from "../jobs/queue.ts";
import { isDispatched, type BatchedMessage, type HandlerRegistry, type LineEventContext } from "./handlers.ts";
import type { ProfileSync } from "./profile-sync.ts";
import { lineRepository as repo, type ChannelRow, type NewWebhookEvent, type WebhookEventRow } from "./repository.ts";
import { replaceUnstorable } from "./unstorable.ts";


/** The fields of a webhook event the inbox relies on; the rest is kept verbatim. */
export interface InboundEvent {
  type: string;
  timestamp: number;
  webhookEventId: string;
  source?: { type?: string; userId?: string };
  [key: string]: unknown;
}

export interface InboxDeps {
  db: Database;
  handlers: HandlerRegistry;
  profiles: ProfileSync;
  log: Logger;
  clock: () => Date;
  maxAttempts: number;
  /** Delay before an event may run; see Config.line.eventHoldMs. */
  holdMs: number;
}

/** Failed feeds of one intake row after which each is logged as an error (an operator should look). */
const FEED_FAILURES_REPORTED = 5;

/** Events Tsunagu acts on: a dispatched type from a user in a 1:1 chat (the account is never in groups). */
const userOf = (e: InboundEvent) => (e.source?.type === "user" && typeof e.source.userId === "string" ? e.source.userId : null);

export function createInbox({ db, handlers, profiles, log, clock, maxAttempts, holdMs }: InboxDeps) {
  /** The job worker's wake-ups, told when intake rows are committed. */
  const arrivals = new Set<() => void>();
  /**
   * Held events are not due for `holdMs`: the worker is told of the rows committed within a tenth
   * of it (at most 25 ms) at once, and one feed takes them all instead of one feed per ack's write
   * (each a statement that stores events and jobs: at a thousand acks a second, most of the
   * worker's round trips). Events that are not held are told of at once.
   */
  const gatherMs = Math.min(25, Math.floor(holdMs / 10));
  let telling: NodeJS.Timeout | undefined;
  const tellArrivals = () => {
    telling = undefined;
    for (const wake of arrivals) wake();
  };
  const arrived = () => {
    if (gatherMs === 0) return tellArrivals();
    if (telling) return;
    telling = setTimeout(tellArrivals, gatherMs);
    telling.unref();
  };

  /**
   * The ack's write (docs/decisions.md "The ack stores one row"): deliveries become one
   * `line_intake` row, one round trip and one commit, what LINE waits for; deliveries that
   * arrive while one is being written share the next row (group commit). The worker's feed then
   * stores the events (a webhookEventId seen before is skipped) and queues one job per new
   * pending event under its LINE user's ordering key at the event's own time, so one user's events
   * run in the order they happened even if LINE delivered them out of order. A later delivery can
   * only overtake within the hold: a queued job blocks every job of its key with a later
   * timestamp, even while it waits for its run_at.
   */
  const store = createGroupCommit({
    async write(deliveries: { channel: ChannelRow; events: NewWebhookEvent[]; runAt: Date | null }[]) {
      await repo.storeIntake(
        db,
        deliveries.map((d) => ({ events: d.events, lineChannelId: d.channel.channel_id, runAt: d.runAt })),
        clock(),
      );
      arrived();
      return deliveries.map((d) => ({ received: d.events.length }));
    },
    weight: (d) => d.events.length,
    // LINE sends at most a few hundred events per delivery; a row of ~1,000 stays near 1 MB.
    maxBatch: 1000,
    // One write at a time on both engines: the acks that arrive while it runs share the next
    // one. On PostgreSQL four or eight in flight sent fewer acks per row, and each write's round
    // trip cost more CPU than its row (docs/benchmarks.md).
    maxInFlight: 1,
  });

  /**
   * A feed's share: about as many events as one ack's write may hold, so that a statement stays
   * near 1 MB and PGlite's one connection serves requests between feeds; rows are mostly a few
   * deliveries each, hence many rows.
   */
  const feedLimit = { events: 1000, rows: 256 };
  const feedRows = async (worker: Database, only?: number) => {
    const { parts, firstDue } = await enqueueFromQuery(worker, eventJob, { ...repo.feedQuery(feedLimit, only), maxAttempts });
    const taken = parts.get(-1)?.rows ?? 0;
    const candidates = parts.get(-2)?.rows ?? 0;
    // More rows wait when the feed left some of its candidates or took as many as it may look at;
    // rows committed since have woken the worker again (onArrival), and another instance's locked
    // ones are that instance's to feed (or the poll's, should it stop).
    return { taken, more: candidates > taken || candidates >= feedLimit.rows, firstDue };
  };
  const feeder: JobFeeder = {
    async feed(worker) {
      try {
        return await feedRows(worker);
      } catch (err) {
        if (isConnectionError(err)) throw err;
        return feedAlone(worker, err);
      }
    },
    waiting: (worker) => repo.intakeWaiting(worker),
    onArrival(wake) {
      arrivals.add(wake);
      return () => void arrivals.delete(wake);
    },
  };

  /**
   * A feed of many rows failed for a reason other than the connection: the first row is fed alone.
   * When that fails too, the row waits apart, backing off like a failing job (1 s, 2 s, 4 s … 10
   * min), so the rows behind it are fed; it is kept, since LINE was told it arrived, and tried again
   * after each wait — a version that can store it stores it. A cause that fails every row (a full
   * disk) makes each row wait in turn and costs them minutes at most.
   */
  async function feedAlone(worker: Database, feedError: unknown): Promise<{ taken: number; more: boolean; firstDue: number | null }> {
    const first = await repo.firstIntake(worker);
    if (first === undefined) throw feedError;
    try {
      return { ...(await feedRows(worker, first)), more: true };
    } catch (err) {
      if (isConnectionError(err)) throw err;
      const failures = await repo.intakeFeedFailed(worker, first, err instanceof Error ? err.message : String(err), backoffMs);
      log[failures >= FEED_FAILURES_REPORTED ? "error" : "warn"]({ err, intakeId: first, failures }, "an intake row could not be fed; it waits and is tried again");
      return { taken: 0, more: true, firstDue: null };
    }
  }

  function ingest(channel: ChannelRow, events: InboundEvent[]) {
    const rows = events.map((raw): NewWebhookEvent => {
      // What LINE sends cannot be refused: characters PostgreSQL cannot store become U+FFFD.
      const e = replaceUnstorable(raw);
      const userId = userOf(e);
      return {
        webhookEventId: e.webhookEventId,
        channelId: channel.id,
        type: e.type,
        lineUserId: userId ?? e.source?.userId ?? null,
        timestamp: new Date(e.timestamp),
        event: e,
        state: isDispatched(e.type) && userId ? "pending" : "ignored",
      };
    });
    const runAt = holdMs > 0 ? new Date(clock().getTime() + holdMs) : null;
    return store.submit({ channel, events: rows, runAt });
  }

  /**
   * The connector's own bookkeeping for an event, before domain handlers see it. Returns false
   * for a follow or unfollow older than the state it would change: it is recorded, but the
   * LINE user's newer action stands.
   */
  async function maintainLineUser(ctx: LineEventContext, ev: webhook.Event, at: Date): Promise<boolean> {
    if (ev.type === "follow") {
      const followed = await repo.setFollowState(ctx.tx, ctx.lineUser.id, "followed", at);
      if (!followed) return false;
      ctx.lineUser = followed;
      // A profile failure must not hold the follow back: the user is a friend either way.
      await ctx.tx.query("SAVEPOINT line_profile");
      try {
        ctx.lineUser = await profiles.syncNow(ctx.tx, ctx.channel, ctx.lineUser);
        await ctx.tx.query("RELEASE SAVEPOINT line_profile");
      } catch (err) {
        await ctx.tx.query("ROLLBACK TO SAVEPOINT line_profile");
        ctx.log.warn({ err, lineUserId: ctx.lineUser.user_id }, "profile sync on follow failed; queued for later");
        await profiles.syncIfStale(ctx.tx, ctx.lineUser);
      }
    } else if (ev.type === "unfollow") {
      const blocked = await repo.setFollowState(ctx.tx, ctx.lineUser.id, "blocked", at);
      if (!blocked) return false;
      ctx.lineUser = blocked;
    } else {
      await profiles.syncIfStale(ctx.tx, ctx.lineUser);
    }
    return true;
  }

  async function process(row: WebhookEventRow, tx: Queryable) {
    const channel = (await repo.channel(tx, row.channel_id))!;
    const ev = row.event as unknown as webhook.Event;
    const lineUser = await repo.ensureLineUser(tx, channel.id, row.line_user_id!);
    const ctx: LineEventContext = {
      tx,
      channel,
      lineUser,
      log: log.child({ webhookEventId: row.webhook_event_id, type: row.event_type }),
    };
    const current = await maintainLineUser(ctx, ev, row.event_timestamp);
    if (!current) ctx.log.info({ lineUserId: lineUser.user_id }, "older than the LINE user's current follow state; recorded, not applied");
    else if (isDispatched(ev.type)) await handlers.dispatch(ev.type, ctx, ev);
  }

  /**
   * The set-based drain (docs/decisions.md "Set-based drain"): many LINE users' message events in
   * one transaction, decided on the rows it locks. An event is taken here when `process` would do
   * no more than the message features' set-based `apply`: a pending message from a LINE user we
   * already know (a first event creates the user), whose profile needs no sync queued, and that
   * every message feature accepts. Each user's events are taken while they qualify, in order; the
   * first that does not, and all after it, run one by one. An event no longer pending is done: its
   * job would do nothing.
   */
  async function processMany(jobs: readonly ManyJob<{ eventId: number }>[], tx: Queryable): Promise<Set<number>> {
    const rows = new Map((await repo.lockPendingEvents(tx, jobs.map((j) => j.payload.eventId))).map((r) => [r.id, r]));
    const messages = [...rows.values()].filter((r) => r.event_type === "message" && r.line_user_id !== null);
    const channels = new Map((await repo.channelsByIds(tx, [...new Set(messages.map((r) => r.channel_id))])).map((c) => [c.id, c]));
    const users = new Map(
      (await repo.lockLineUsers(tx, messages.map((r) => ({ channelId: r.channel_id, userId: r.line_user_id! })))).map((u) => [`${u.channel_id}:${u.user_id}`, u]),
    );
    const batch: BatchedMessage[] = [];
    const batchIndex = new Map<number, number>();
    for (const r of messages) {
      const lineUser = users.get(`${r.channel_id}:${r.line_user_id}`);
      if (!lineUser || profiles.syncWouldQueue(lineUser)) continue;
      batchIndex.set(r.id, batch.length);
      batch.push({ channel: channels.get(r.channel_id)!, lineUser, ev: r.event as unknown as webhook.MessageEvent });
    }
    const plan = await handlers.planMessages(tx, batch);
    const ran = new Set<number>();
    const chosen: number[] = [];
    const taken: { id: number; attempts: number }[] = [];
    const stoppedKeys = new Set<string>();
    for (const job of jobs) {
      if (stoppedKeys.has(job.key)) continue;
      const row = rows.get(job.payload.eventId);
      const i = row ? batchIndex.get(row.id) : undefined;
      if (row && (i === undefined || !plan.accepts[i])) {
        stoppedKeys.add(job.key);
        continue;
      }
      ran.add(job.id);
      if (row) {
        chosen.push(i!);
        taken.push({ id: row.id, attempts: job.attempt });
      }
    }
    // The rows are locked: all of them are still pending.
    if ((await repo.takeEvents(tx, taken)) !== taken.length) throw new Error("a locked pending event was taken by someone else");
    await plan.apply(chosen);
    return ran;
  }

  const eventJob = defineJob({
    kind: "line.event",
    payload: z.object({ eventId: z.number().int().positive() }),
    runMany: (jobs, { tx }) => processMany(jobs, tx),
    async run({ eventId }, job) {
      const tx = job.tx;
      // Earlier attempts just throw: the worker rolls the job back and retries it with backoff.
      // The last one keeps the event for admins, so it needs its own way back from a failure.
      if (job.lastAttempt) await tx.query("SAVEPOINT line_event");
      const row = await repo.takeEvent(tx, eventId, job.attempt);
      if (!row) return;
      try {
        await process(row, tx);
      } catch (err) {
        if (!job.lastAttempt) throw err;
        await tx.query("ROLLBACK TO SAVEPOINT line_event");
        log.error({ err, webhookEventId: row.webhook_event_id, attempts: job.attempt }, "LINE event failed; parked");
        await repo.parkEvent(tx, row.id, job.attempt, String((err as Error)?.stack ?? err).slice(0, 4000));
      }
    },
    // Parked like a last attempt that threw: admins see it among the failed events and can retry it.
    async abandoned({ eventId }, job) {
      log.error({ eventId, attempts: job.attempt }, "LINE event's worker stopped during its last attempt; parked");
      await repo.parkEvent(job.tx, eventId, job.attempt, "the process running this event stopped during its last attempt");
    },
  });

  /**
   * Queues a parked event again, inside the caller's transaction: a new job with a fresh attempt
   * count, under the user's ordering key and at the event's own time, so it runs before that
   * user's later events that are still waiting.
   */
  async function requeue(tx: Queryable, row: WebhookEventRow & { line_channel_id: string }) {
    const reopened = await repo.reopenEvent(tx, row.id);
    await enqueueMany(tx, eventJob, [
      { payload: { eventId: Number(row.id) }, orderingKey: `${row.line_channel_id}:${row.line_user_id}`, orderedAt: row.event_timestamp, maxAttempts },
    ]);
    return reopened;
  }

  return { ingest, requeue, jobs: [eventJob], feeders: [feeder] };
}

export type Inbox = ReturnType<typeof createInbox>;
