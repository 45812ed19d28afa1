/**
 * `npm run bench` — Tsunagu's throughput as ratios to this machine's own limits, measured in
 * the same run: a bare Node HTTP handler, and raw single-row INSERT transactions on the same
 * database. PostgreSQL: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/postgres); a
 * fresh database is created and dropped.
 * Contacts (the default): seeds `--contacts N` (default 100,000, LINE WORKS' quota per company)
 * contacts into the demo company and measures listing and search at that size, on PGlite and then
 * PostgreSQL (`--db pglite|postgres` for one of them): SQL p50/p95 per query and over the whole
 * query set, pages touched, and HTTP through 10 connections for `--seconds` (default 2) each.
 * `npm run bench -- --db postgres --contacts 1000000` gives the figures at 1M; `--seed S` changes
 * the generated data.
 * API: `--api` measures `GET /me` and webhook ingest instead (`--db` picks one database, PGlite by default).
 * Pipeline: `--pipeline` measures the LINE event pipeline instead (bench/pipeline.ts): acks alone (on a
 * database of their own, events held) and beside their processing, processing of a `--backlog N`
 * (default 10000) backlog, what else is served meanwhile, and message → event-stream latency,
 * against the database's event-INSERT limit (pgbench on PostgreSQL).
 * Heavy work: `--heavy` runs only the CPU-heavy scenarios (bench/heavy-bench.ts): a 10,000-card
 * vCard import and 10 parallel business-card renders, each with /healthz sampled every 50 ms.
 * Start-up: `--start` times the first start, restarts (after a stop and after kill -9) and the
 * resident memory idle and under load, of the real entry in its own process (bench/start.ts).
 * Rolling restart: `--db postgres --rolling [--rate 200] [--seconds 30]` replaces both of two instances, one at a
 * time, while webhooks arrive at `--rate` per second, and counts what was lost or duplicated (bench/rolling-restart.ts);
 * `--no-restart` runs the same load without stopping anything, as the baseline.
 * Company isolation: `--db postgres --isolation [--companies 20] [--contacts 50000]` measures the demo company's query
 * set alone and again beside the other companies' contacts, and checks no query returns another company's row
 * (bench/isolation.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type autocannon from "autocannon";
import { createFreshDatabase } from "../test/support/fresh-database.ts";
import { loadConfig } from "../src/server/config.ts";
import { openDatabase } from "../src/server/db/database.ts";
import { startServer } from "../src/server/server.ts";
import { demoChannelCredentials } from "../src/server/line/demo-channel.ts";
import { benchContacts } from "./contacts-bench.ts";
import { benchAcksAlone, benchPipeline, eventInsertLimit, WEBHOOK_EVENTS } from "./pipeline.ts";
import { benchHeavy } from "./heavy-bench.ts";
import { benchStart } from "./start.ts";
import { benchRollingRestart } from "./rolling-restart.ts";
import { benchIsolation } from "./isolation.ts";
import { bareHttpLimit, load, rawInsertLimit } from "./limits.ts";

const { values } = parseArgs({
  options: {
    db: { type: "string", default: "both" },
    seconds: { type: "string" },
    contacts: { type: "string", default: "100000" },
    api: { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    pipeline: { type: "boolean", default: false },
    backlog: { type: "string", default: "10000" },
    heavy: { type: "boolean", default: false },
    start: { type: "boolean", default: false },
    rolling: { type: "boolean", default: false },
    rate: { type: "string", default: "200" },
    "no-restart": { type: "boolean", default: false },
    isolation: { type: "boolean", default: false },
    companies: { type: "string", default: "20" },
  },
});
const contactCount = Number(values.contacts);
// Contacts time 15 queries on two databases: 2 s each keeps the default run under 5 minutes.
const seconds = Number(values.seconds ?? (values.pipeline || values.api ? 5 : 2));
// The single-database scenarios keep PGlite as their default.
const dbKind = values.db === "postgres" ? "postgres" : "pglite";
const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/postgres";

if (values.start) {
  console.log(`bench --start: ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  const rows = await benchStart({ seconds, restarts: 3 });
  console.log("\n| measurement | result | ratio |\n| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.name} | ${r.value} | ${r.ratio} |`);
  process.exit(0);
}

if (values.heavy) {
  const database = dbKind === "postgres" ? await createFreshDatabase(adminUrl, "tsunagu_bench") : undefined;
  console.log(`bench --heavy: ${dbKind}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  try {
    const r = await benchHeavy({ databaseUrl: database?.url });
    const kb = Math.round(r.import.bytes / 1024);
    console.log("\n| scenario | duration | /healthz max | /healthz p99 | samples |\n| --- | --- | --- | --- | --- |");
    console.log(
      `| import ${r.import.cards} vCards (${kb} kB; ${r.import.imported} imported, ${r.import.failed} skipped) | ${r.import.seconds.toFixed(1)} s | ` +
        `${r.import.health.maxMs} ms | ${r.import.health.p99Ms} ms | ${r.import.health.count} |`,
    );
    console.log(`| ${r.cards.renders} card renders, 10 at a time | ${r.cards.seconds.toFixed(1)} s | ${r.cards.health.maxMs} ms | ${r.cards.health.p99Ms} ms | ${r.cards.health.count} |`);
  } finally {
    await database?.drop();
  }
  process.exit(0);
}

if (values.rolling) {
  if (dbKind !== "postgres") throw new Error("--rolling needs --db postgres: PGlite is one process at a time");
  const database = await createFreshDatabase(adminUrl, "tsunagu_bench");
  const limitDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-bench-"));
  console.log(`bench --rolling${values["no-restart"] ? " (baseline: no restart)" : ""}: 2 instances, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  try {
    const limit = await eventInsertLimit({ databaseUrl: database.url, dataDir: limitDir, seconds: 5 });
    const r = await benchRollingRestart({ databaseUrl: database.url, rate: Number(values.rate), seconds: Math.max(seconds, 20), drainMs: 1_000, restart: !values["no-restart"] });
    const achieved = r.acknowledged / r.seconds;
    console.log("\n| measurement | result |\n| --- | --- |");
    console.log(`| limit: event INSERTs, 8 connections (pgbench) | ${Math.round(limit)} rows/s |`);
    console.log(`| webhooks offered / acknowledged | ${r.sent} / ${r.acknowledged} over ${r.seconds} s (${Math.round(achieved)}/s = ${(achieved / limit).toFixed(3)} of the limit) |`);
    console.log(`| deliveries sent again to another instance / waits with no healthy instance | ${r.redelivered} / ${r.noInstance} |`);
    console.log(`| ack latency incl. redeliveries | p50 ${r.ackP50Ms.toFixed(0)} ms, p99 ${r.ackP99Ms.toFixed(0)} ms, max ${r.ackMaxMs.toFixed(0)} ms |`);
    console.log(`| SIGTERM → exit (SHUTDOWN_DRAIN_MS 1000) | ${r.stopsMs.map((x) => `${(x / 1000).toFixed(1)} s`).join(", ")} |`);
    console.log(`| end of load → every acknowledged event processed | ${(r.catchUpMs / 1000).toFixed(1)} s |`);
    console.log(`| lost / duplicated / unprocessed | ${r.lost} / ${r.duplicated} / ${r.unprocessed} |`);
  } finally {
    await database.drop();
    fs.rmSync(limitDir, { recursive: true, force: true });
  }
  process.exit(0);
}

type Row = { name: string; value: string; ratio: string };
const printRows = (rows: Row[], ratioHeader = "ratio to the machine's limit") => {
  console.log(`\n| measurement | result | ${ratioHeader} |\n| --- | --- | --- |`);
  for (const r of rows) console.log(`| ${r.name} | ${r.value} | ${r.ratio} |`);
};

if (values.isolation) {
  await runIsolation();
} else if (values.pipeline) {
  await runPipeline(dbKind);
} else if (values.api) {
  await runApi(dbKind);
} else {
  const kinds: ("pglite" | "postgres")[] = values.db === "both" ? ["pglite", "postgres"] : [dbKind];
  for (const kind of kinds) await runContacts(kind);
}
process.exit(0);

/** A data folder and, on PostgreSQL, a fresh database for one scenario; `dispose()` removes both. */
async function benchDatabase(kind: "pglite" | "postgres") {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-bench-"));
  const database = kind === "postgres" ? await createFreshDatabase(adminUrl, "tsunagu_bench") : undefined;
  return {
    dataDir,
    url: database?.url,
    async dispose() {
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The machine's limits for this database, measured now. */
async function limits(kind: "pglite" | "postgres", where: { dataDir: string; url?: string }, rows: Row[]) {
  const bare = await bareHttpLimit(seconds);
  rows.push({ name: "limit: bare HTTP handler", value: `${Math.round(bare.requestsPerSec)} req/s (p99 ${bare.p99Ms} ms; load from a ${bare.generator})`, ratio: "1.00" });
  const limitDb = await openDatabase({ dataDir: path.join(where.dataDir, "limit"), databaseUrl: where.url });
  const inserts = await rawInsertLimit(limitDb, seconds * 1000);
  await limitDb.close();
  rows.push({ name: `limit: raw INSERT transactions (${kind})`, value: `${Math.round(inserts)} rows/s`, ratio: "1.00" });
  return { bare, inserts };
}

async function runApi(kind: "pglite" | "postgres") {
  console.log(`bench --api: ${kind}, ${seconds}s per measurement, ${os.cpus().length} cores, node ${process.version}`);
  const where = await benchDatabase(kind);
  const rows: Row[] = [];
  try {
    const { bare, inserts } = await limits(kind, where, rows);
    const config = benchConfig(where);
    const server = await startServer(config);
    try {
      const cookie = await sessionCookie(server.url, "sato@demo.example");
      const me = await load({ url: `${server.url}/api/v1/me`, headers: { cookie }, duration: seconds });
      if (me.non2xx || me.errors) throw new Error(`GET /me failed ${me.non2xx + me.errors} times`);
      rows.push({
        name: "GET /api/v1/me (session lookup + tenant)",
        value: `${Math.round(me.requestsPerSec)} req/s (p99 ${me.p99Ms} ms; load from a ${me.generator})`,
        ratio: (me.requestsPerSec / bare.requestsPerSec).toFixed(2) + " of bare HTTP",
      });

      // Webhook ingest: each request is one signed delivery with one message event from one of 50
      // LINE users; the 200 means the delivery is committed (DESIGN §7). Signed in the load
      // generator's worker thread (webhook-events.cjs), not on this process's event loop.
      const creds = demoChannelCredentials(config);
      const users = Array.from({ length: 50 }, (_, i) => `U${i.toString(16).padStart(32, "0")}`);
      process.env.BENCH_WEBHOOK = JSON.stringify({ channelSecret: creds.channelSecret, users });
      const hook = await load({
        url: `${server.url}/line/webhook/${creds.channelId}`,
        method: "POST",
        duration: seconds,
        requests: [{ setupRequest: WEBHOOK_EVENTS as unknown as autocannon.Request["setupRequest"] }],
      });
      if (hook.non2xx || hook.errors) throw new Error(`webhook failed ${hook.non2xx + hook.errors} times`);
      rows.push({
        name: "POST /line/webhook (verify, store the delivery, commit, 200)",
        value: `${Math.round(hook.requestsPerSec)} acks/s (p99 ${hook.p99Ms} ms vs LINE's 2,000 ms limit; load from a ${hook.generator})`,
        ratio: `${(hook.requestsPerSec / inserts).toFixed(2)} of raw INSERT, ${(hook.requestsPerSec / bare.requestsPerSec).toFixed(2)} of bare HTTP`,
      });
    } finally {
      await server.close();
    }
  } finally {
    await where.dispose();
  }
  printRows(rows);
}

async function runContacts(kind: "pglite" | "postgres") {
  const started = performance.now();
  console.log(`bench contacts: ${kind}, ${contactCount} contacts, ${seconds}s of HTTP per query, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  const where = await benchDatabase(kind);
  const rows: Row[] = [];
  try {
    const { bare, inserts } = await limits(kind, where, rows);
    const server = await startServer(benchConfig(where));
    try {
      const cookie = await sessionCookie(server.url, "sato@demo.example");
      console.log(`contacts: seeding ${contactCount} into the demo company`);
      const { seed, queries } = await benchContacts({
        db: server.db,
        baseUrl: server.url,
        cookie,
        memberLogin: "sato@demo.example",
        demoLineChannelId: server.demoLineChannelId!,
        count: contactCount,
        seed: Number(values.seed),
        seconds,
        sqlBudgetMs: 1000,
        bareHttp: bare,
        rawInsertsPerSec: inserts,
      });
      const seedRate = seed.rows / ((seed.loadMs + seed.indexMs) / 1000);
      rows.push({
        name: `seed ${seed.rows} contacts (batched INSERT … unnest, then ${seed.indexes.length} indexes built)`,
        value: `${Math.round(seedRate)} contacts/s (${((seed.loadMs + seed.indexMs) / 1000).toFixed(0)} s; indexes ${(seed.indexMs / 1000).toFixed(0)} s)`,
        ratio: `${(seedRate / inserts).toFixed(1)}× raw INSERT`,
      });
      for (const q of queries) {
        rows.push({
          name: `GET /contacts: ${q.label} (${q.items} items)`,
          value:
            `SQL p50 ${q.sql.p50Ms.toFixed(1)} ms, p95 ${q.sql.p95Ms.toFixed(1)} ms, ${q.explain.buffers} pages${q.explain.seqScans.length ? " (seq scan)" : ""}; ` +
            `HTTP ${Math.round(q.http.requestsPerSec)} req/s (p50 ${q.http.p50Ms} ms, p99 ${q.http.p99Ms} ms)`,
          ratio: `${(q.http.requestsPerSec / bare.requestsPerSec).toFixed(3)} of bare HTTP`,
        });
      }
      const all = queries.flatMap((q) => q.sql.samples).sort((a, b) => a - b);
      rows.push({
        name: `SQL over the whole query set (${all.length} calls)`,
        value: `p50 ${all[Math.floor(all.length * 0.5)]!.toFixed(1)} ms, p95 ${all[Math.floor(all.length * 0.95)]!.toFixed(1)} ms`,
        ratio: "",
      });
    } finally {
      await server.close();
    }
  } finally {
    await where.dispose();
  }
  printRows(rows);
  console.log(`(${kind} done in ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

async function runIsolation() {
  if (dbKind !== "postgres") throw new Error("--isolation needs --db postgres: 1M contacts on PGlite take too long to load");
  const started = performance.now();
  const perCompany = values.contacts === "100000" ? 50_000 : contactCount;
  const companies = Number(values.companies);
  console.log(`bench --isolation: postgres, ${companies} companies × ${perCompany} contacts, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  const where = await benchDatabase("postgres");
  try {
    const server = await startServer(benchConfig(where));
    try {
      const r = await benchIsolation({ server, companies, perCompany, budgetMs: 1000 });
      const f = (m: { pages: number; p50Ms: number; p95Ms: number; minMs: number }) => `${m.pages} pages, ${m.p50Ms.toFixed(1)} / ${m.p95Ms.toFixed(1)} / ${m.minMs.toFixed(1)} ms`;
      console.log(`\n| query (demo company, as sato) | alone: pages, SQL p50 / p95 / min | beside ${companies - 1} companies | pages ratio |\n| --- | --- | --- | --- |`);
      for (const row of r.rows) console.log(`| ${row.label} | ${f(row.alone)} | ${f(row.crowded)} | ${(row.crowded.pages / row.alone.pages).toFixed(2)} |`);
      const all = (k: "alone" | "crowded") => r.rows.map((x) => x[k].p95Ms).sort((a, b) => a - b);
      console.log(`| worst query p95 | ${all("alone").at(-1)!.toFixed(1)} ms | ${all("crowded").at(-1)!.toFixed(1)} ms | |`);
      console.log(`\nseeding: demo company ${r.seedSeconds.alone.toFixed(0)} s, the others ${r.seedSeconds.others.toFixed(0)} s`);
      console.log(`rows of another company returned: ${r.foreignRows} in ${r.queriesChecked} queries (three companies' members)`);
      if (r.foreignRows) throw new Error(`${r.foreignRows} rows of another company returned`);
    } finally {
      await server.close();
    }
  } finally {
    await where.dispose();
  }
  console.log(`(done in ${((performance.now() - started) / 1000).toFixed(0)} s, load average ${os.loadavg()[0]!.toFixed(1)})`);
}

async function runPipeline(kind: "pglite" | "postgres") {
  console.log(`bench --pipeline: ${kind}, ${seconds}s per measurement, ${os.cpus().length} cores, node ${process.version}`);
  const where = await benchDatabase(kind);
  const rows: Row[] = [];
  try {
    const limit = await eventInsertLimit({ databaseUrl: where.url, dataDir: where.dataDir, seconds });
    rows.push({ name: `limit: single-row autocommit INSERT of a LINE event (jsonb, unique key), 8 connections (${kind === "postgres" ? "pgbench" : "PGlite"})`, value: `${Math.round(limit)} rows/s`, ratio: "1.00" });
    rows.push(await acksAlone(kind, limit));
    const holdMs = 500;
    const config = benchConfig(where, { LINE_EVENT_HOLD_MS: String(holdMs) });
    const server = await startServer(config);
    try {
      const cookie = await sessionCookie(server.url, "sato@demo.example");
      const creds = demoChannelCredentials(config);
      rows.push(
        ...(await benchPipeline({ server, channelId: creds.channelId, channelSecret: creds.channelSecret, cookie, seconds, backlog: Number(values.backlog), insertLimit: limit, holdMs })),
      );
    } finally {
      await server.close();
    }
  } finally {
    await where.dispose();
  }
  printRows(rows, "ratio");
}

/** The acks-alone row (bench/pipeline.ts benchAcksAlone) on a database of its own, dropped afterwards. */
async function acksAlone(kind: "pglite" | "postgres", insertLimit: number) {
  const where = await benchDatabase(kind);
  try {
    const config = benchConfig(where, { LINE_EVENT_HOLD_MS: "60000" });
    const server = await startServer(config);
    try {
      const creds = demoChannelCredentials(config);
      return await benchAcksAlone({ server, channelId: creds.channelId, channelSecret: creds.channelSecret, seconds, insertLimit });
    } finally {
      await server.close();
    }
  } finally {
    await where.dispose();
  }
}

/** The server's configuration for a bench run: the demo company on this run's database. */
function benchConfig(where: { dataDir: string; url?: string }, extra: Record<string, string> = {}) {
  return loadConfig({
    PORT: "0",
    DATA_DIR: where.dataDir,
    LOG_LEVEL: "silent",
    DEMO_SEED: "1",
    DEMO_PASSWORD: "bench-password",
    ...(where.url ? { DATABASE_URL: where.url } : {}),
    // Tuning knobs pass through, so a run can say what it changed; LOG_LEVEL=warn shows what the server complained of.
    ...Object.fromEntries(["DATABASE_POOL_SIZE", "WORKER_CONCURRENCY", "LOG_LEVEL"].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : []))),
    ...extra,
  });
}

async function sessionCookie(baseUrl: string, login: string): Promise<string> {
  const signIn = await fetch(`${baseUrl}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login, password: "bench-password" }),
  });
  return signIn.headers.getSetCookie()[0]!.split(";")[0]!;
}
