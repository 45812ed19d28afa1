import type { webhook } from "@line/bot-sdk";
import type { Logger } from "pino";
import type { Database, Queryable } from "../db/database.ts";
import { enqueue, type JobHandler } from "../jobs/queue.ts";
import type { ChannelService } from "./channels.ts";
import type { LineClient } from "./client.ts";
import { isDispatched, type HandlerRegistry, type LineEventContext } from "./handlers.ts";
import type { ProfileSync } from "./profile-sync.ts";
import { lineRepository as repo, type ChannelRow, type WebhookEventRow } from "./repository.ts";

export const EVENT_JOB = "line.event";

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
  channels: ChannelService;
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

export function createInbox({ db, channels, handlers, profiles, log, clock, maxAttempts, holdMs }: InboxDeps) {
  /**
   * Stores a delivery and queues its events in one transaction. Events seen before (same
   * webhookEventId) are skipped; one user's events are queued under one ordering key, in
   * timestamp order, so they run in the order they happened even if LINE delivered them out of order.
   * A later delivery can only overtake within the hold: a queued job blocks every job of its key
   * with a later timestamp, even while it waits for its run_at.
   */
  async function ingest(channel: ChannelRow, events: InboundEvent[]) {
    return db.transaction(async (tx) => {
      const inserted = await repo.insertEvents(
        tx,
        events.map((e) => {
          const userId = userOf(e);
          return {
            webhookEventId: e.webhookEventId,
            channelId: channel.id,
            type: e.type,
            lineUserId: userId ?? e.source?.userId ?? null,
            timestamp: new Date(e.timestamp),
            event: e,
            state: isDispatched(e.type) && userId ? ("pending" as const) : ("ignored" as const),
          };
        }),
      );
      const runAt = holdMs > 0 ? new Date(clock().getTime() + holdMs) : undefined;
      for (const row of inserted) {
        if (row.state !== "pending") continue;
        await enqueue(tx, {
          kind: EVENT_JOB,
          payload: { eventId: row.id },
          orderingKey: `${channel.channel_id}:${row.line_user_id}`,
          orderedAt: row.event_timestamp,
          runAt,
          maxAttempts,
        });
      }
      return { received: events.length, queued: inserted.filter((r) => r.state === "pending").length };
    });
  }

  /** The connector's own bookkeeping for an event, before domain handlers see it. */
  async function maintainLineUser(ctx: LineEventContext, ev: webhook.Event, at: Date) {
    if (ev.type === "follow") {
      ctx.lineUser = await repo.setFollowState(ctx.tx, ctx.lineUser.id, "followed", at);
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
      ctx.lineUser = await repo.setFollowState(ctx.tx, ctx.lineUser.id, "blocked", at);
    } else {
      await profiles.syncIfStale(ctx.tx, ctx.lineUser);
    }
  }

  async function process(row: WebhookEventRow, tx: Queryable) {
    const channel = (await repo.channel(tx, row.channel_id))!;
    const ev = row.event as unknown as webhook.Event;
    const lineUser = await repo.ensureLineUser(tx, channel.id, row.line_user_id!);
    let client: Promise<LineClient> | undefined;
    const ctx: LineEventContext = {
      tx,
      channel,
      lineUser,
      log: log.child({ webhookEventId: row.webhook_event_id, type: row.event_type }),
      client: () => (client ??= channels.clientFor(channel, tx)),
    };
    await maintainLineUser(ctx, ev, row.event_timestamp);
    if (isDispatched(ev.type)) await handlers.dispatch(ev.type, ctx, ev);
  }

  const processEventJob: JobHandler = async (job, tx) => {
    const { eventId } = job.payload as { eventId: number };
    const row = await repo.lockEvent(tx, eventId);
    // Exactly once: an event already processed (or parked) is never run again.
    if (!row || row.state !== "pending") return;
    const last = job.attempts >= job.max_attempts;
    await tx.query("SAVEPOINT line_event");
    try {
      await process(row, tx);
      await repo.finishEvent(tx, row.id, "processed");
    } catch (err) {
      // Earlier attempts roll back and retry with backoff; the last one keeps the event for admins.
      if (!last) throw err;
      await tx.query("ROLLBACK TO SAVEPOINT line_event");
      log.error({ err, webhookEventId: row.webhook_event_id, attempts: job.attempts }, "LINE event failed; parked");
      await repo.finishEvent(tx, row.id, "failed", String((err as Error)?.stack ?? err).slice(0, 4000));
    }
  };

  /**
   * Queues a parked event again, inside the caller's transaction: a new job with a fresh attempt
   * count, under the user's ordering key and at the event's own time, so it runs before that
   * user's later events that are still waiting.
   */
  async function requeue(tx: Queryable, row: WebhookEventRow & { line_channel_id: string }) {
    const reopened = await repo.reopenEvent(tx, row.id);
    await enqueue(tx, {
      kind: EVENT_JOB,
      payload: { eventId: row.id },
      orderingKey: `${row.line_channel_id}:${row.line_user_id}`,
      orderedAt: row.event_timestamp,
      maxAttempts,
    });
    return reopened;
  }

  return { ingest, requeue, jobs: { [EVENT_JOB]: processEventJob } as Record<string, JobHandler> };
}

export type Inbox = ReturnType<typeof createInbox>;
