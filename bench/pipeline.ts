/**
 * The LINE event pipeline under load (`npm run bench -- --pipeline`): webhook acknowledgements,
 * event processing, and whether anything else is still served while a backlog drains, each as
 * a ratio to the database's own single-row INSERT rate measured in the same run.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import type { Database } from "../src/server/db/database.ts";
import { openDatabase } from "../src/server/db/database.ts";
import type { RunningServer } from "../src/server/server.ts";
import { EmulatorControlClient } from "../src/line-emulator/control-client.ts";

export interface PipelineRow {
  name: string;
  value: string;
  ratio: string;
}

/** Backlog events carry their own id prefix, so the drain is timed to the backlog's last event and not to the batches arriving meanwhile. */
const BACKLOG_PREFIX = "01BACKLOG";

type WebhookEvents = {
  messageEvent(userId: string, n: number, at?: number, prefix?: string): { message: Record<string, unknown> } & Record<string, unknown>;
  signedDelivery(events: unknown[], channelSecret: string): { body: string; headers: Record<string, string> };
};
/** The webhook deliveries autocannon's worker threads sign (a module path: workers cannot take a function). */
export const WEBHOOK_EVENTS = createRequire(import.meta.url).resolve("./webhook-events.cjs");
const { messageEvent, signedDelivery } = createRequire(import.meta.url)(WEBHOOK_EVENTS) as WebhookEvents;

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

/**
 * The limit: single-row autocommit INSERTs of a LINE-event-sized jsonb row with a unique key from
 * 8 connections. PostgreSQL: pgbench itself; PGlite (one connection in-process): 8 concurrent callers.
 */
export async function eventInsertLimit(opts: { databaseUrl?: string; dataDir: string; seconds: number }): Promise<number> {
  const row = JSON.stringify(messageEvent(`U${"0".repeat(32)}`, 1));
  const ddl = "CREATE TABLE IF NOT EXISTS bench_event_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id text UNIQUE NOT NULL, body jsonb NOT NULL)";
  const db: Database = await openDatabase({ dataDir: path.join(opts.dataDir, "limit"), databaseUrl: opts.databaseUrl });
  try {
    await db.exec(ddl);
    if (opts.databaseUrl) {
      const script = path.join(os.tmpdir(), `tsunagu-pgbench-${process.pid}.sql`);
      const fs = await import("node:fs");
      fs.writeFileSync(script, `INSERT INTO bench_event_insert (event_id, body) VALUES (md5(random()::text || clock_timestamp()::text), '${row.replace(/'/g, "''")}');\n`);
      const r = spawnSync("pgbench", ["-n", "-c", "8", "-j", "2", "-T", String(opts.seconds), "-f", script, opts.databaseUrl], { encoding: "utf8" });
      fs.rmSync(script, { force: true });
      const m = /tps = ([\d.]+)/.exec(r.stdout);
      if (!m) throw new Error(`pgbench failed: ${r.stderr || r.stdout}`);
      return Number(m[1]);
    }
    const until = Date.now() + opts.seconds * 1000;
    let count = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          await db.query("INSERT INTO bench_event_insert (event_id, body) VALUES ($1, $2)", [crypto.randomUUID(), row]);
          count++;
        }
      }),
    );
    return count / opts.seconds;
  } finally {
    await db.exec("DROP TABLE IF EXISTS bench_event_insert").catch(() => undefined);
    await db.close();
  }
}

/** Acks at 8 connections for `seconds`, one message event per delivery from one of `users`, signed in autocannon's worker thread. */
async function ackCapacity(hookUrl: string, channelSecret: string, users: string[], seconds: number) {
  process.env.BENCH_WEBHOOK = JSON.stringify({ channelSecret, users });
  const r = await autocannon({
    url: hookUrl,
    method: "POST",
    connections: 8,
    duration: seconds,
    workers: 1,
    requests: [{ setupRequest: WEBHOOK_EVENTS as unknown as autocannon.Request["setupRequest"] }],
  });
  if (r.non2xx || r.errors) throw new Error(`webhook failed ${r.non2xx + r.errors} times`);
  return r;
}

/**
 * Acks alone: a server whose events are held for a minute (LINE_EVENT_HOLD_MS=60000) on a
 * database of its own, so nothing acknowledged is processed while the acks are counted — what a
 * burst costs before the drain reaches it. The worker still feeds the intake into events and jobs.
 */
export async function benchAcksAlone(opts: { server: RunningServer; channelId: string; channelSecret: string; seconds: number; insertLimit: number }): Promise<PipelineRow> {
  const users = Array.from({ length: 100 }, (_, i) => `U${i.toString(16).padStart(32, "0")}`);
  const r = await ackCapacity(`${opts.server.url}/line/webhook/${opts.channelId}`, opts.channelSecret, users, opts.seconds);
  const acks = r.requests.average;
  return {
    name: "webhook acks alone (events held, nothing processed meanwhile), 8 connections, 1 event each",
    value: `${Math.round(acks)} acks/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms)`,
    ratio: `${(acks / opts.insertLimit).toFixed(3)} of the INSERT limit (target 0.70)`,
  };
}

export async function benchPipeline(opts: {
  server: RunningServer;
  channelId: string;
  channelSecret: string;
  cookie: string;
  seconds: number;
  backlog: number;
  insertLimit: number;
  holdMs: number;
}): Promise<PipelineRow[]> {
  const { server, channelId, channelSecret, seconds, insertLimit } = opts;
  const rows: PipelineRow[] = [];
  const ratio = (x: number) => `${(x / insertLimit).toFixed(3)} of the INSERT limit`;
  const hookUrl = `${server.url}/line/webhook/${channelId}`;
  const post = async (events: unknown[]) => {
    const delivery = signedDelivery(events, channelSecret);
    const t0 = performance.now();
    const res = await fetch(hookUrl, { method: "POST", ...delivery });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    return performance.now() - t0;
  };
  const count = async (state: string) => (await server.db.query<{ n: number }>("SELECT count(*) AS n FROM webhook_events WHERE state = $1", [state]))[0]!.n;
  const backlogProcessed = async () =>
    (await server.db.query<{ n: number }>("SELECT count(*) AS n FROM webhook_events WHERE state = 'processed' AND webhook_event_id LIKE $1", [`${BACKLOG_PREFIX}%`]))[0]!.n;

  // LINE users who found sato by Message ID: each has a friendship and a room, so their
  // messages are stored in sato's room and published to sato's open web app.
  const emulator = new EmulatorControlClient(server.lineEmulator!.url);
  const users: string[] = [];
  for (let i = 0; i < 100; i++) users.push((await emulator.createUser({ displayName: `Bench user ${i}` })).userId);
  for (let i = 0; i < users.length; i += 20) {
    await post(users.slice(i, i + 20).map((u, j) => ({ ...messageEvent(u, i + j), message: { id: String(i + j), type: "text", quoteToken: "q", text: "sato" } })));
  }
  const roomsReady = Date.now() + 120_000;
  while ((await server.db.query<{ n: number }>("SELECT count(*) AS n FROM rooms")) [0]!.n < users.length) {
    if (Date.now() > roomsReady) throw new Error("the bench users' rooms were not created");
    await new Promise((r) => setTimeout(r, 200));
  }
  await waitProcessed();
  let n = 1000;

  // 1. Ack capacity while the acknowledged events are processed on the same machine (held 500 ms):
  // 8 connections, one message event per delivery, as fast as they are answered.
  const capacity = await ackCapacity(hookUrl, channelSecret, users, seconds);
  const acks = capacity.requests.average;
  rows.push({ name: "webhook acks beside their processing, 8 connections, 1 event each", value: `${Math.round(acks)} acks/s (p50 ${capacity.latency.p50} ms, p99 ${capacity.latency.p99} ms)`, ratio: ratio(acks) });
  await waitProcessed();

  // 2. Ack latency at half that rate.
  const half = await autocannon({
    url: hookUrl,
    method: "POST",
    connections: 8,
    duration: seconds,
    overallRate: Math.max(1, Math.floor(acks / 2)),
    workers: 1,
    requests: [{ setupRequest: WEBHOOK_EVENTS as unknown as autocannon.Request["setupRequest"] }],
  });
  rows.push({ name: `webhook acks at half capacity (${Math.floor(acks / 2)}/s)`, value: `p50 ${half.latency.p50} ms, p99 ${half.latency.p99} ms, max ${half.latency.max} ms`, ratio: "target p99 < 50 ms" });
  await waitProcessed();

  // 3. A backlog falls due at once: deliveries of 100 events are queued as fast as possible,
  // then the drain is timed while 50-event batches keep arriving and /healthz is sampled.
  // Four deliveries in flight (LINE itself sends in parallel): one at a time, the bench's own
  // round trips bounded the backlog's arrival below what the drain keeps up with.
  const backlogStart = performance.now();
  const deliveries = Array.from({ length: Math.ceil(opts.backlog / 100) }, (_, d) =>
    Array.from({ length: Math.min(100, opts.backlog - d * 100) }, (_, j) => ({ user: users[(d * 100 + j) % users.length]!, seq: n++ })),
  );
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let next = deliveries.shift(); next; next = deliveries.shift()) await post(next.map((e) => messageEvent(e.user, e.seq, Date.now(), BACKLOG_PREFIX)));
    }),
  );
  const queuedMs = performance.now() - backlogStart;
  const atQueued = await backlogProcessed();
  const health: number[] = [];
  const batchAcks: number[] = [];
  let extra = 0;
  let draining = true;
  let healthErrors = 0;
  const sampler = (async () => {
    while (draining) {
      const t0 = performance.now();
      const ok = await fetch(`${server.url}/healthz`)
        .then(async (r) => (await r.arrayBuffer(), r.ok))
        .catch(() => false);
      if (ok) health.push(performance.now() - t0);
      else healthErrors++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const batches = (async () => {
    while (draining) {
      batchAcks.push(await post(Array.from({ length: 50 }, () => messageEvent(users[n % users.length]!, n++))));
      extra += 50;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  const drainStart = performance.now();
  const cap = drainStart + 120_000;
  let processedNow = atQueued;
  while (processedNow < opts.backlog && performance.now() < cap) {
    await new Promise((r) => setTimeout(r, 100));
    processedNow = await backlogProcessed();
  }
  const doneAt = performance.now();
  draining = false;
  await Promise.all([sampler, batches]);
  const finished = processedNow >= opts.backlog;
  // End to end: from the first backlog delivery to its last event processed, while the batches
  // were processed too. When most of it was done before the posting ended, the
  // drain kept up with the acks and this figure is bound by how fast the bench posts.
  const endToEnd = processedNow / ((doneAt - backlogStart) / 1000);
  const tail = (processedNow - atQueued) / ((doneAt - drainStart) / 1000);
  rows.push({
    name: `backlog of ${opts.backlog} message events posted in ${(queuedMs / 1000).toFixed(1)} s (${atQueued} processed by then), while ${extra} more arrive in 50-event batches`,
    value:
      `${Math.round(endToEnd)} events/s end to end (last backlog event ${((doneAt - backlogStart) / 1000).toFixed(1)} s after the first was posted; ` +
      `the rest after posting at ${Math.round(tail)}/s)${finished ? "" : ` — stopped after 120 s, ${processedNow} of ${opts.backlog} done`}`,
    // After the posting, nothing but the 50-event batches competes with the drain: that rate is the processing capacity.
    ratio: `${ratio(endToEnd)} end to end; after posting ${(tail / insertLimit).toFixed(3)}`,
  });
  rows.push({
    name: "… meanwhile GET /healthz (every 50 ms)",
    value: `p50 ${ms(quantile(health, 0.5))}, p99 ${ms(quantile(health, 0.99))}, max ${ms(Math.max(...health))}${healthErrors ? `, ${healthErrors} failed` : ""}`,
    ratio: "target p99 < 200 ms",
  });
  rows.push({ name: "… meanwhile 50-event webhook batches (one a second)", value: `p50 ${ms(quantile(batchAcks, 0.5))}, p99 ${ms(quantile(batchAcks, 0.99))}, max ${ms(Math.max(...batchAcks))}`, ratio: "target: none over 1,000 ms" });
  await waitProcessed();

  // 4. LINE message → the member's open event stream (what the browser's EventSource receives).
  const latencies = await messageToStream(server.url, opts.cookie, users, post, 100);
  rows.push({
    name: `LINE message → sato's event stream (100 messages, hold ${opts.holdMs} ms)`,
    value: `p50 ${ms(quantile(latencies, 0.5))}, p95 ${ms(quantile(latencies, 0.95))}`,
    ratio: `p95 − hold = ${ms(quantile(latencies, 0.95) - opts.holdMs)} (target < 150 ms)`,
  });
  return rows;

  /** Until every acknowledged event is processed: none pending, and none still in the ack's intake row. */
  async function waitProcessed() {
    const until = Date.now() + 600_000;
    const unfed = async () => (await server.db.query<{ n: number }>("SELECT count(*) AS n FROM line_intake"))[0]!.n;
    while (((await count("pending")) > 0 || (await unfed()) > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sends one message at a time and times it until sato's SSE stream carries its message.created. */
async function messageToStream(baseUrl: string, cookie: string, users: string[], post: (events: unknown[]) => Promise<number>, samples: number) {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/api/v1/events`, { headers: { cookie, accept: "text/event-stream" }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const nextMessageCreated = async () => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (/^event: ?message\.created$/m.test(block)) return;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("event stream ended");
      buffer += value;
    }
  };
  const out: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const arrived = nextMessageCreated();
      await post([messageEvent(users[i % users.length]!, 900000 + i)]);
      await arrived;
      out.push(performance.now() - t0);
    }
  } finally {
    controller.abort();
  }
  return out;
}
