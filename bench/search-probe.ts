/**
 * `npx tsx bench/search-probe.ts --db pglite|postgres` — the contacts query set's SQL alone, on a
 * database that is kept between runs, so a change to the search SQL can be measured before and
 * after on the same seeded data without paying the seed each time (minutes on PGlite). It seeds
 * the demo company once (bench/contacts-seed.ts), then prints, per query, the pages the statements
 * touch (EXPLAIN (ANALYZE, BUFFERS): shared hits + reads, which the machine's load does not move),
 * and p50 / p95 / min of the repository call, with the load average at the time.
 * PGlite keeps its files in `--dir` (default $TMPDIR/tsunagu-search-probe); PostgreSQL uses the
 * database `--name` (default tsunagu_search_probe) on BENCH_DATABASE_URL's server; `--drop` removes it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../src/server/config.ts";
import { startServer } from "../src/server/server.ts";
import { directoryRepository } from "../src/server/directory/repository.ts";
import { lineRepository } from "../src/server/line/repository.ts";
import { explain, filterFor, queryCases, timeRepository } from "./contacts-bench.ts";
import { seedContacts } from "./contacts-seed.ts";

const { values } = parseArgs({
  options: {
    db: { type: "string", default: "pglite" },
    dir: { type: "string", default: path.join(os.tmpdir(), "tsunagu-search-probe") },
    name: { type: "string", default: "tsunagu_search_probe" },
    contacts: { type: "string", default: "100000" },
    budget: { type: "string", default: "1000" },
    only: { type: "string" },
    drop: { type: "boolean", default: false },
  },
});
const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/postgres";
const count = Number(values.contacts);

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

if (values.drop) {
  await admin(`DROP DATABASE IF EXISTS ${values.name} WITH (FORCE)`);
  fs.rmSync(values.dir, { recursive: true, force: true });
  process.exit(0);
}

let url: string | undefined;
if (values.db === "postgres") {
  const exists = await admin(`SELECT 1 FROM pg_database WHERE datname = '${values.name}'`);
  if (!exists.rowCount) await admin(`CREATE DATABASE ${values.name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${values.name}`;
  url = u.toString();
}
const dataDir = values.db === "postgres" ? fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-probe-")) : values.dir;
const server = await startServer(
  loadConfig({ PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent", DEMO_SEED: "1", DEMO_PASSWORD: "bench-password", ...(url ? { DATABASE_URL: url } : {}) }),
);
try {
  const db = server.db;
  const member = (await directoryRepository.memberByLogin(db, "sato@demo.example"))!;
  const tenantId = member.tenant_id;
  const [{ n }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM contacts WHERE tenant_id = $1", [tenantId])) as [{ n: number }];
  if (n < count) {
    const memberIds = [];
    for (const login of ["admin", "sato", "kim", "smith"]) memberIds.push((await directoryRepository.memberByLogin(db, `${login}@demo.example`))!.id);
    const [team] = await db.query<{ id: string }>("SELECT id FROM teams WHERE tenant_id = $1 AND name = 'Sales'", [tenantId]);
    const channel = (await lineRepository.channelByLineId(db, server.demoLineChannelId!))!;
    const seed = await seedContacts(db, {
      tenantId,
      owners: { memberIds, teamId: team!.id },
      channelId: channel.id,
      count: count - n,
      seed: 1,
      anchor: Math.floor(Date.now() / 86_400_000) * 86_400_000,
    });
    console.log(`seeded ${seed.rows} contacts: load ${(seed.loadMs / 1000).toFixed(1)} s, indexes ${(seed.indexMs / 1000).toFixed(1)} s`);
  }
  console.log(`${values.db}, ${count} contacts, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("| query | pages | EXPLAIN ms | p50 ms | p95 ms | min ms |\n| --- | --- | --- | --- | --- | --- |");
  const all: number[] = [];
  for (const [label, query] of await queryCases(db, tenantId, member.id, count)) {
    if (values.only && !label.includes(values.only)) continue;
    const f = filterFor(query, tenantId, member.id);
    const t = await timeRepository(db, f, Number(values.budget));
    const plan = await explain(db, f);
    all.push(...t.samples);
    console.log(
      `| ${label} | ${plan.buffers} | ${plan.executionMs.toFixed(1)} | ${t.p50Ms.toFixed(1)} | ${t.p95Ms.toFixed(1)} | ${t.samples[0]!.toFixed(1)} |${plan.seqScans.length ? ` seq: ${plan.seqScans.join(", ")}` : ""}`,
    );
  }
  all.sort((a, b) => a - b);
  console.log(`whole set: ${all.length} calls, p50 ${all[Math.floor(all.length / 2)]!.toFixed(1)} ms, p95 ${all[Math.floor(all.length * 0.95)]!.toFixed(1)} ms; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
} finally {
  await server.close();
  if (values.db === "postgres") fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
