import { serve } from "@hono/node-server";
import { Hono } from "hono";
import autocannon from "autocannon";
import type { Database } from "../src/server/db/database.ts";

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  generator: "worker thread" | "in-process";
}

/**
 * Load from a worker thread of its own, so the generator does not take turns with the server on
 * one event loop (in-process, a bare handler and a route were both measured at half speed and
 * the route's ratio mostly measured the generator). A load that signs each request in a function
 * cannot cross to a thread and stays in-process (webhooks); the output says which.
 */
export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const inProcess = !!opts.requests?.some((r) => typeof r.setupRequest === "function" || typeof r.onResponse === "function");
  const r = await autocannon({ connections: 10, duration: 5, ...(inProcess ? {} : { workers: 1 }), ...opts });
  return {
    requestsPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    generator: inProcess ? "in-process" : "worker thread",
  };
}

/** The machine's own HTTP ceiling: a Node server that answers "ok" and does nothing else. */
export async function bareHttpLimit(duration: number): Promise<LoadResult> {
  const app = new Hono().get("/", (c) => c.text("ok"));
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ server, port: info.port }));
  });
  try {
    return await load({ url: `http://127.0.0.1:${port}/`, duration });
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/**
 * The database's own write ceiling: single-row INSERT transactions into an unindexed table from
 * 10 concurrent callers — what one committed webhook row can cost at best.
 */
export async function rawInsertLimit(db: Database, durationMs: number): Promise<number> {
  await db.exec("CREATE TABLE IF NOT EXISTS bench_raw_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body jsonb NOT NULL)");
  const until = Date.now() + durationMs;
  let count = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (Date.now() < until) {
        await db.transaction((tx) => tx.query("INSERT INTO bench_raw_insert (body) VALUES ($1)", [JSON.stringify({ n: count })]));
        count++;
      }
    }),
  );
  await db.exec("DROP TABLE bench_raw_insert");
  return count / (durationMs / 1000);
}
