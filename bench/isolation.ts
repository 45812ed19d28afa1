/**
 * `npm run bench -- --db postgres --isolation [--companies 20] [--contacts 50000]`: company
 * isolation. The demo company gets `--contacts` contacts and its query set is measured alone;
 * then `--companies` − 1 more companies with the same generated kind of data (the same surnames,
 * e-mail domains, tags, other seeds) are loaded beside it and the set is measured again. A search
 * should touch the same pages either way (every index a search uses is scoped to the company) and
 * take about as long; and no query, by the demo company or by another one, may return a row of a
 * company but its own.
 */
import type { RunningServer } from "../src/server/server.ts";
import { directoryRepository } from "../src/server/directory/repository.ts";
import { lineRepository } from "../src/server/line/repository.ts";
import { contactRepository } from "../src/server/contacts/repository.ts";
import { explain, filterFor, queryCases, timeRepository } from "./contacts-bench.ts";
import { seedCompanies, type CompanySeed } from "./contacts-seed.ts";

export interface IsolationRow {
  label: string;
  alone: { pages: number; p50Ms: number; p95Ms: number; minMs: number };
  crowded: { pages: number; p50Ms: number; p95Ms: number; minMs: number };
}

export interface IsolationResult {
  rows: IsolationRow[];
  seedSeconds: { alone: number; others: number };
  /** Rows returned to a member that belong to another company: must be 0. */
  foreignRows: number;
  queriesChecked: number;
}

const anchor = () => Math.floor(Date.now() / 86_400_000) * 86_400_000;

export async function benchIsolation(o: { server: RunningServer; companies: number; perCompany: number; budgetMs: number }): Promise<IsolationResult> {
  const db = o.server.db;
  const sato = (await directoryRepository.memberByLogin(db, "sato@demo.example"))!;
  const memberIds = [];
  for (const login of ["admin", "sato", "kim", "smith"]) memberIds.push((await directoryRepository.memberByLogin(db, `${login}@demo.example`))!.id);
  const [team] = await db.query<{ id: string }>("SELECT id FROM teams WHERE tenant_id = $1 AND name = 'Sales'", [sato.tenant_id]);
  const channel = (await lineRepository.channelByLineId(db, o.server.demoLineChannelId!))!;
  const demo: CompanySeed = { tenantId: sato.tenant_id, owners: { memberIds, teamId: team!.id }, channelId: channel.id, count: o.perCompany, seed: 1 };

  let foreignRows = 0;
  let queriesChecked = 0;
  /** The query set as `memberId` of `tenantId`: SQL timings and pages, and every returned row checked for its company. */
  async function measure(tenantId: string, memberId: string, timed: boolean) {
    const out = new Map<string, IsolationRow["alone"]>();
    for (const [label, query] of await queryCases(db, tenantId, memberId, o.perCompany)) {
      const f = filterFor(query, tenantId, memberId);
      const rows = await contactRepository.list(db, f);
      foreignRows += rows.filter((r) => r.tenant_id !== tenantId).length;
      queriesChecked++;
      if (!timed) continue;
      const t = await timeRepository(db, f, o.budgetMs);
      const plan = await explain(db, f);
      out.set(label, { pages: plan.buffers, p50Ms: t.p50Ms, p95Ms: t.p95Ms, minMs: t.samples[0]! });
    }
    return out;
  }

  let started = performance.now();
  await seedCompanies(db, [demo], { anchor: anchor() });
  const aloneSeconds = (performance.now() - started) / 1000;
  console.log(`  isolation: demo company seeded with ${o.perCompany} contacts in ${aloneSeconds.toFixed(0)} s; measuring it alone`);
  const alone = await measure(sato.tenant_id, sato.id, true);

  const others: { seed: CompanySeed; memberId: string }[] = [];
  for (let i = 2; i <= o.companies; i++) {
    const tenant = await o.server.directory.createTenant({ name: `Company ${i}`, plan: "core" });
    const ids: string[] = [];
    for (const [k, role] of (["admin", "member", "member", "member"] as const).entries()) {
      await o.server.directory.addMember(tenant, null, { loginId: `c${i}-m${k}`, email: `m${k}@c${i}.example`, displayName: `Member ${k}`, role, password: "bench-password" });
      ids.push((await directoryRepository.memberByLogin(db, `m${k}@c${i}.example`))!.id);
    }
    const [t] = await db.query<{ id: string }>("INSERT INTO teams (tenant_id, name) VALUES ($1, 'Sales') RETURNING id", [tenant.id]);
    // A different generator seed per company: the same kinds of names and domains, other people.
    others.push({ seed: { tenantId: tenant.id, owners: { memberIds: ids, teamId: t!.id }, count: o.perCompany, seed: i }, memberId: ids[1]! });
  }
  started = performance.now();
  const step = Math.max(1, Math.round((o.perCompany * others.length) / 10));
  await seedCompanies(
    db,
    others.map((x) => x.seed),
    { anchor: anchor(), onProgress: (n) => n % step === 0 && console.log(`  isolation: ${n} contacts of the other companies loaded`) },
  );
  const othersSeconds = (performance.now() - started) / 1000;
  console.log(`  isolation: ${others.length} more companies (${others.length * o.perCompany} contacts) loaded in ${othersSeconds.toFixed(0)} s; measuring the demo company again`);
  const crowded = await measure(sato.tenant_id, sato.id, true);
  // Another company's member runs the set too: nothing of the demo company, or of a third, may come back.
  for (const x of [others[0]!, others[others.length - 1]!]) await measure(x.seed.tenantId, x.memberId, false);

  return {
    rows: [...alone].map(([label, a]) => ({ label, alone: a, crowded: crowded.get(label)! })),
    seedSeconds: { alone: aloneSeconds, others: othersSeconds },
    foreignRows,
    queriesChecked,
  };
}
