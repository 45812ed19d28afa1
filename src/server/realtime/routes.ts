import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { LastEventIdSchema } from "../../shared/realtime.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter } from "../http/openapi.ts";
import type { Database } from "../db/database.ts";
import { HubClosedError, type RealtimeHub } from "./hub.ts";
import { livePresence } from "./presence.ts";

export interface RealtimeRouteOptions {
  /** Comment lines on an idle stream, so proxies and load balancers keep it open. */
  heartbeatMs?: number;
  /** How long a browser waits before reconnecting (the SSE `retry:` field). */
  retryMs?: number;
  /**
   * When this instance shuts down, each stream ends with a `retry:` drawn from this range: soon
   * enough that the member misses nothing for long, spread so that the streams of a stopping
   * instance do not all land on the others in the same instant.
   */
  shutdownRetryMs?: { min: number; max: number };
}

const eventsRoute = createRoute({
  method: "get",
  path: "/events",
  tags: ["real-time"],
  summary: "Server-Sent Events for the signed-in member; resumes after Last-Event-ID",
  description:
    "Each event has `id:` (resume point), `event:` (type) and `data:` (JSON). The first event is `ready`, or `reset` when the " +
    "requested resume point is no longer kept. The Last-Event-ID header (sent by EventSource when it reconnects) wins over `?lastEventId=`.",
  request: {
    query: z.object({ lastEventId: LastEventIdSchema.optional() }),
    headers: z.object({ "last-event-id": LastEventIdSchema.optional() }),
  },
  responses: {
    200: { description: "An endless text/event-stream", content: { "text/event-stream": { schema: z.string() } } },
    400: commonProblems[400],
    401: commonProblems[401],
  },
});

/** `db` and `clock` record the open stream (presence.ts): a member without one is reached by Web Push instead. */
export function realtimeRoutes(hub: RealtimeHub, deps: { db: Database; clock: () => Date }, opts: RealtimeRouteOptions = {}) {
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const retryMs = opts.retryMs ?? 3_000;
  const shutdownRetry = opts.shutdownRetryMs ?? { min: 250, max: 2_000 };
  const shutdownRetryField = () => `retry: ${shutdownRetry.min + Math.floor(Math.random() * (shutdownRetry.max - shutdownRetry.min))}\n\n`;
  const app = createRouter();
  app.use("/events", requireAuth);

  app.openapi(eventsRoute, (c) => {
    const { member, tenant } = c.get("auth")!;
    const resumeFrom = c.req.valid("header")["last-event-id"] ?? c.req.valid("query").lastEventId;
    const log = c.get("log");
    // Buffering proxies (nginx) would otherwise hold events back.
    c.header("X-Accel-Buffering", "no");
    return streamSSE(c, async (stream) => {
      // Caught here rather than by streamSSE's onError, which would send the message to the browser.
      try {
        await relay(stream);
      } catch (err) {
        // A stream opened as this instance stops: sent on its way like the streams it had.
        if (err instanceof HubClosedError) await stream.write(shutdownRetryField());
        else log.error({ err, memberId: member.id }, "real-time stream failed");
      }
    });

    async function relay(stream: SSEStreamingApi) {
      let first = true;
      const subscription = await hub.subscribe(
        { tenantId: tenant.id, memberId: member.id },
        resumeFrom === undefined ? undefined : Number(resumeFrom),
        async (ev) => {
          if (stream.aborted) throw new Error("client went away");
          await stream.writeSSE({
            id: String(ev.id),
            event: ev.type,
            data: JSON.stringify(ev.data),
            ...(first ? { retry: retryMs } : {}),
          });
          first = false;
        },
      );
      stream.onAbort(subscription.unsubscribe);
      if (stream.aborted) subscription.unsubscribe();
      const presence = await livePresence.open(deps.db, member.id, deps.clock());
      const heartbeat = setInterval(() => {
        void stream.write(": ping\n\n");
        livePresence.touch(deps.db, presence, deps.clock()).catch((err: unknown) => log.warn({ err }, "could not refresh the stream's presence"));
      }, heartbeatMs);
      try {
        // The browser reconnects with Last-Event-ID, through the load balancer to an instance still serving.
        if ((await subscription.closed) === "hub closed" && !stream.aborted) await stream.write(shutdownRetryField());
      } finally {
        clearInterval(heartbeat);
        await livePresence.close(deps.db, presence).catch((err: unknown) => log.warn({ err }, "could not end the stream's presence; it goes stale"));
      }
    }
  });
  return app;
}
