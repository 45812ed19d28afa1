import type { webhook } from "@line/bot-sdk";
import type { Logger } from "pino";
import type { Database, Queryable } from "../db/database.ts";
import { z } from "zod";
import { createGroupCommit } from "../db/group-commit.ts";
import { defineJob, enqueueFromQuery, enqueueMany } from "../jobs/queue.ts";
import { isDispatched, type HandlerRegistry, type LineEventContext } from "./handlers.ts";
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

/** Events Tsunagu acts on: a dispatched type from a user in a 1:1 chat (the account is never in groups). */
const userOf = (e: InboundEvent) => (e.source?.type === "user" && typeof e.source.userId === "string" ? e.source.userId : null);

export function createInbox({ db, handlers, profiles, log, clock, maxAttempts, holdMs }: InboxDeps) {
  /**
   * Stores deliveries and queues their events in one statement (one round trip and one commit,
   * what LINE waits for). Deliveries that arrive while earlier ones are being written share the
   * next statement (group commit). Events seen before (same webhookEventId) are skipped; one
   * user's events are queued under one ordering key, in timestamp order, so they run in the order
   * they happened even if LINE delivered them out of order. A later delivery can only overtake
   * within the hold: a queued job blocks every job of its key with a later timestamp, even while
   * it waits for its run_at.
   */
  const store = createGroupCommit({
    async write(deliveries: { channel: ChannelRow; events: NewWebhookEvent[]; runAt: Date | null }[]) {
      const query = repo.insertEventsQuery(deliveries.map((d) => ({ events: d.events, lineChannelId: d.channel.channel_id, runAt: d.runAt })));
      const counts = await enqueueFromQuery(db, eventJob, { ...query, maxAttempts });
      return deliveries.map((d, part) => ({ received: d.events.length, queued: counts.get(part)?.jobs ?? 0 }));
    },
    weight: (d) => d.events.length,
    // LINE sends at most a few hundred events per delivery; a statement of ~1,000 stays near 1 MB.
    maxBatch: 1000,
    // PGlite runs one statement at a time anyway; on PostgreSQL a few in flight keep the pool busy.
    maxInFlight: db.kind === "pglite" ? 1 : 4,
  });

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

  const eventJob = defineJob({
    kind: "line.event",
    payload: z.object({ eventId: z.number().int().positive() }),
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

  return { ingest, requeue, jobs: [eventJob] };
}

export type Inbox = ReturnType<typeof createInbox>;
