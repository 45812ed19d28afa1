/**
 * The contacts part of `npm run bench -- --contacts N`: seeds N contacts into the demo company
 * (bench/contacts-seed.ts), then measures `GET /api/v1/contacts` through real HTTP as a signed-in
 * member — lists, a deep cursor page, searches in Japanese, Korean, Latin, phone digits, e-mail,
 * a tag filter and misses — next to the same repository call without HTTP, and its EXPLAIN ANALYZE.
 */
import { ContactListQuery } from "../src/shared/contacts.ts";
import type { Database, Queryable } from "../src/server/db/database.ts";
import { directoryRepository } from "../src/server/directory/repository.ts";
import { lineRepository } from "../src/server/line/repository.ts";
import { decodeCursor, encodeCursor } from "../src/server/contacts/presenter.ts";
import { contactRepository, type ListFilter } from "../src/server/contacts/repository.ts";
import { searchQuery } from "../src/server/search/normalize.ts";
import { seedContacts, type SeedResult } from "./contacts-seed.ts";
import { load, type LoadResult } from "./limits.ts";

export interface ContactsBenchOptions {
  db: Database;
  baseUrl: string;
  /** Session cookie of the member the queries run as. */
  cookie: string;
  memberLogin: string;
  demoLineChannelId: string;
  count: number;
  seed: number;
  seconds: number;
  /** How long the repository call of each query is timed (at least 20 calls). */
  sqlBudgetMs: number;
  /** The machine's limits from the same run. */
  bareHttp: LoadResult;
  rawInsertsPerSec: number;
}

export interface QueryMeasurement {
  label: string;
  query: string;
  items: number;
  http: LoadResult;
  /** The repository call alone (SQL + driver + row parsing), sequential; every sample kept for the set's p95. */
  sql: { p50Ms: number; p95Ms: number; samples: number[] };
  /** EXPLAIN (ANALYZE, BUFFERS) of the same statements: execution time, pages touched (a figure the machine's load does not move), sequential scans. */
  explain: { executionMs: number; buffers: number; seqScans: string[] };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** The repository filter the service builds for this query string (service.ts listRows). */
export function filterFor(query: string, tenantId: string, memberId: string): ListFilter {
  const opts = ContactListQuery.parse(Object.fromEntries(new URLSearchParams(query)));
  const after = opts.cursor ? decodeCursor(opts.cursor, opts.sort) : undefined;
  if (opts.cursor && !after) throw new Error(`bad cursor in ${query}`);
  return {
    tenantId,
    memberId,
    lineOnly: opts.tab === "line",
    search: opts.q ? searchQuery(opts.q) : undefined,
    tag: opts.tag,
    sort: opts.sort,
    after,
    limit: opts.limit + 1,
  };
}

/**
 * EXPLAIN ANALYZE of every statement the repository sends for this filter (a search may send two),
 * each also run for real so the repository takes the same path it takes when serving.
 */
export async function explain(db: Database, f: ListFilter) {
  let executionMs = 0;
  let buffers = 0;
  const seqScans: string[] = [];
  const walk = (n: PlanNode) => {
    if (n["Node Type"] === "Seq Scan") seqScans.push(`${n["Relation Name"]} (${n["Actual Rows"]} rows × ${n["Actual Loops"]})`);
    n.Plans?.forEach(walk);
  };
  const explaining: Queryable = {
    async query<T>(sql: string, params?: readonly unknown[]) {
      // The repository's own estimates (EXPLAIN without ANALYZE) are planning only: counted by time, not pages.
      if (sql.startsWith("EXPLAIN")) return db.query<T>(sql, params);
      const [row] = await db.query<{ "QUERY PLAN": [{ Plan: PlanNode; "Execution Time": number }] }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
      const plan = row!["QUERY PLAN"][0];
      executionMs += plan["Execution Time"];
      buffers += plan.Plan["Shared Hit Blocks"] + plan.Plan["Shared Read Blocks"];
      walk(plan.Plan);
      return db.query<T>(sql, params);
    },
    exec: (sql) => db.exec(sql),
    notify: (channel, payload) => db.notify(channel, payload),
  };
  await contactRepository.list(explaining, f);
  return { executionMs, buffers, seqScans };
}
interface PlanNode {
  "Node Type": string;
  "Shared Hit Blocks": number;
  "Shared Read Blocks": number;
  "Relation Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  Plans?: PlanNode[];
}

/** The benchmark's query set as API query strings, for `memberId` of the tenant: lists, a deep cursor, searches, a tag, misses. */
export async function queryCases(db: Queryable, tenantId: string, memberId: string, count: number): Promise<[string, string][]> {
  // A cursor from the middle of the member's name-sorted list, as a client paging deep would hold.
  const [middle] = await db.query<{ sort_name: string; id: string }>(
    `SELECT sort_name, id FROM contacts WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY sort_name COLLATE "C", id OFFSET $2 LIMIT 1`,
    [tenantId, Math.floor(count / 2)],
  );
  const [deepRow] = await contactRepository.list(db, { tenantId, memberId: memberId, sort: "name", after: { key: middle!.sort_name, id: middle!.id }, limit: 1 });
  const deepCursor = encodeCursor(deepRow!, "name");

  return [
    ["list, first page by name", "sort=name"],
    ["list, first page by modified", "sort=modified"],
    ["list, cursor page half-way by name", `sort=name&cursor=${deepCursor}`],
    ["search Japanese kanji (2 chars) 田中", `q=${encodeURIComponent("田中")}`],
    ["search Japanese reading in katakana ヤマモト", `q=${encodeURIComponent("ヤマモト")}`],
    ["search Japanese reading in hiragana やまもと", `q=${encodeURIComponent("やまもと")}`],
    ["search Japanese reading in half-width katakana ﾔﾏﾓﾄ", `q=${encodeURIComponent("ﾔﾏﾓﾄ")}`],
    ["search Korean (2 chars) 민수", `q=${encodeURIComponent("민수")}`],
    ["search Latin fragment son", "q=son"],
    ["search phone digits 4821", "q=4821"],
    ["search e-mail fragment @hooli", `q=${encodeURIComponent("@hooli")}`],
    ["tag filter 展示会2025", `tag=${encodeURIComponent("展示会2025")}`],
    // The rarest company tag (3 % of the contacts): too sparse to walk to, so its rows are collected.
    ["tag filter, rare 重要顧客", `tag=${encodeURIComponent("重要顧客")}`],
    ["tag filter and search 展示会2025 田中", `tag=${encodeURIComponent("展示会2025")}&q=${encodeURIComponent("田中")}`],
    ["search, no match (Latin) zzqx", "q=zzqx"],
    ["search, no match (2 CJK chars) 該当", `q=${encodeURIComponent("該当")}`],
    ["search 田中, newest first", `q=${encodeURIComponent("田中")}&sort=created`],
  ];
}

export async function timeRepository(db: Database, f: ListFilter, budgetMs: number) {
  const samples: number[] = [];
  await contactRepository.list(db, f);
  const until = performance.now() + budgetMs;
  while (samples.length < 20 || (performance.now() < until && samples.length < 200)) {
    const t = performance.now();
    await contactRepository.list(db, f);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50Ms: percentile(samples, 0.5), p95Ms: percentile(samples, 0.95), samples };
}

export async function benchContacts(o: ContactsBenchOptions): Promise<{ seed: SeedResult; queries: QueryMeasurement[] }> {
  const { db } = o;
  const member = (await directoryRepository.memberByLogin(db, o.memberLogin))!;
  const tenantId = member.tenant_id;
  const memberIds = [];
  for (const login of ["admin", "sato", "kim", "smith"]) memberIds.push((await directoryRepository.memberByLogin(db, `${login}@demo.example`))!.id);
  const [team] = await db.query<{ id: string }>("SELECT id FROM teams WHERE tenant_id = $1 AND name = 'Sales'", [tenantId]);
  const channel = (await lineRepository.channelByLineId(db, o.demoLineChannelId))!;

  const step = Math.max(1, Math.round(o.count / 10));
  const seed = await seedContacts(db, {
    tenantId,
    owners: { memberIds, teamId: team!.id },
    channelId: channel.id,
    count: o.count,
    seed: o.seed,
    // Midnight UTC today: the same data all day, and Trash dates stay inside the retention period.
    anchor: Math.floor(Date.now() / 86_400_000) * 86_400_000,
    onProgress: (done) => {
      if (done % step === 0 || done === o.count) process.stdout.write(`  seeded ${done} contacts\n`);
    },
  });
  const seedRate = seed.rows / ((seed.loadMs + seed.indexMs) / 1000);
  console.log(
    `  seeding: ${seed.rows} contacts (${seed.allRows} rows in all tables) in ${((seed.loadMs + seed.indexMs) / 1000).toFixed(1)} s ` +
      `(load ${(seed.loadMs / 1000).toFixed(1)} s, ${seed.indexes.length} indexes ${(seed.indexMs / 1000).toFixed(1)} s): ` +
      `${Math.round(seedRate)} contacts/s = ${(seedRate / o.rawInsertsPerSec).toFixed(1)}× the raw single-row INSERT rate`,
  );

  const cases = await queryCases(db, tenantId, member.id, o.count);
  const queries: QueryMeasurement[] = [];
  for (const [label, query] of cases) {
    const url = `${o.baseUrl}/api/v1/contacts?${query}`;
    // A fresh connection: the previous query's SQL timing can outlast the server's keep-alive, and
    // reusing the closed socket fails the request.
    const first = await fetch(url, { headers: { cookie: o.cookie, connection: "close" } });
    if (first.status !== 200) throw new Error(`${label}: HTTP ${first.status} ${await first.text()}`);
    const items = ((await first.json()) as { items: unknown[] }).items.length;
    const http = await load({ url, headers: { cookie: o.cookie }, duration: o.seconds });
    if (http.non2xx || http.errors) throw new Error(`${label}: ${http.non2xx + http.errors} failed requests`);
    const f = filterFor(query, tenantId, member.id);
    const sql = await timeRepository(db, f, o.sqlBudgetMs);
    const plan = await explain(db, f);
    queries.push({ label, query, items, http, sql, explain: plan });
    console.log(
      `  ${label}: ${items} items, ${Math.round(http.requestsPerSec)} req/s p50 ${http.p50Ms} ms p99 ${http.p99Ms} ms; ` +
        `repository p50 ${sql.p50Ms.toFixed(1)} ms p95 ${sql.p95Ms.toFixed(1)} ms; EXPLAIN ${plan.executionMs.toFixed(1)} ms, ${plan.buffers} buffers${plan.seqScans.length ? `, seq scan: ${plan.seqScans.join(", ")}` : ""}`,
    );
  }
  return { seed, queries };
}
