import type { Logger } from "pino";
import type { Database } from "./database.ts";

/**
 * How often PGlite's tables are looked at. The webhook intake, the job queue and the events take
 * rows in and out by the thousand; without VACUUM the free space those rows leave is never
 * recorded, so every insert extends the file (measured: 14.5 MB of `line_intake` for 14,000 acks
 * and none left in it). A look is one statement on the statistics; ten seconds keeps a busy table
 * to about what ten seconds of churn fill.
 */
const PGLITE_VACUUM_EVERY_MS = 10_000;

/**
 * PostgreSQL's own autovacuum thresholds (autovacuum_vacuum_threshold / _scale_factor,
 * autovacuum_vacuum_insert_threshold / _scale_factor, autovacuum_analyze_threshold /
 * _scale_factor, at their defaults), so PGlite's tables are kept as PostgreSQL's would be.
 */
const THRESHOLDS = {
  dead: { base: 50, scale: 0.2 },
  inserted: { base: 1000, scale: 0.2 },
  modified: { base: 50, scale: 0.1 },
};

/**
 * The statistics target of PGlite's ANALYZE (PostgreSQL's default is 100). ANALYZE samples 300 rows
 * per unit, and for each sampled contact computes 0022's search keys in PL/pgSQL: at 100k contacts
 * the default took 5.1 s, during which PGlite answers nothing; 30 took 1.7 s and gave every query of
 * the benchmark set the same plan and pages as 100 (10 did not: `son` read 4,739 pages, not 835).
 */
const PGLITE_STATISTICS_TARGET = 30;

/** After an ANALYZE that took d, the table rests for this many times d, so ANALYZE holds PGlite at most 1/20 of the time. */
const ANALYZE_REST_FACTOR = 20;

export interface MaintenanceRound {
  vacuumed: string[];
  analyzed: { table: string; ms: number }[];
}

export interface MaintenanceOptions {
  /**
   * The first round after a start. PGlite starts its counts from zero at every open (measured:
   * 5,000 inserts counted, closed cleanly, 0 after reopening), so what the last process did is
   * unknown: every table is vacuumed, and every table without statistics is analyzed (a company
   * whose contacts were imported into a table analyzed while empty, and the server restarted
   * before its next round).
   */
  first?: boolean;
  /** Tables not to analyze this round (resting after a long ANALYZE); they are still vacuumed. */
  resting?: (table: string) => boolean;
  /**
   * Whether a table is still being filled (see `startPgliteVacuum`): it is left alone until the
   * filling stops. One ANALYZE statement holds PGlite for its whole run, and `contacts` took
   * 400–590 ms at 5,000–8,000 rows (the search keys are computed for every sampled row): every
   * round of a vCard import paused all requests that long (/healthz p99 331 ms, max 683 ms during
   * a 10,000-card import). Analyzed once the import is over, the table pauses them once.
   */
  filling?: (table: string, inserted: number) => boolean;
}

/**
 * PGlite's autovacuum, which it lacks: embedded PostgreSQL runs a single backend, without the
 * autovacuum launcher. Its activity statistics are kept but only published when asked
 * (`pg_stat_force_next_flush()`; without it `n_dead_tup` stays 0), so each round publishes them,
 * then vacuums the tables whose dead or newly inserted rows pass autovacuum's thresholds and
 * analyzes those whose changes pass its analyze threshold — the planner's statistics are what
 * choose between walking the contact list and collecting through the search index (100k contacts
 * without them: `son` 835 → 5,378 pages, a tag 1,265 → 5,246). One statement at a time through the
 * background lane: requests go first and wait for at most one table's VACUUM or ANALYZE.
 */
export async function maintainTables(db: Database, opts: MaintenanceOptions = {}): Promise<MaintenanceRound> {
  // The flush happens as this statement's transaction ends, so the next one reads the counts.
  await db.query("SELECT pg_stat_force_next_flush()");
  const tables = await db.query<{ name: string; tuples: number; dead: number; inserted: number; modified: number; unanalyzed: boolean }>(
    `SELECT quote_ident(s.relname) AS name, greatest(c.reltuples, 0)::float8 AS tuples, s.n_dead_tup::float8 AS dead,
            s.n_ins_since_vacuum::float8 AS inserted, s.n_mod_since_analyze::float8 AS modified,
            NOT EXISTS (SELECT 1 FROM pg_statistic st WHERE st.starelid = c.oid) AS unanalyzed
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.schemaname = 'public' ORDER BY s.relname`,
  );
  const over = (count: number, tuples: number, t: { base: number; scale: number }) => count > t.base + t.scale * tuples;
  const round: MaintenanceRound = { vacuumed: [], analyzed: [] };
  for (const t of tables) {
    // Asked of every table, so that it sees every round's count.
    if (opts.filling?.(t.name, t.inserted) && !opts.first) continue;
    if (opts.first || over(t.dead, t.tuples, THRESHOLDS.dead) || over(t.inserted, t.tuples, THRESHOLDS.inserted)) {
      await db.exec(`VACUUM ${t.name}`);
      round.vacuumed.push(t.name);
    }
    if (opts.resting?.(t.name) || !((opts.first && t.unanalyzed) || over(t.modified, t.tuples, THRESHOLDS.modified))) continue;
    const started = performance.now();
    // SET LOCAL: the one session is shared with requests; the target ends with this transaction.
    await db.transaction((tx) => tx.exec(`SET LOCAL default_statistics_target = ${PGLITE_STATISTICS_TARGET}; ANALYZE ${t.name}`));
    round.analyzed.push({ table: t.name, ms: performance.now() - started });
  }
  return round;
}

/**
 * Looks every PGLITE_VACUUM_EVERY_MS until stopped (the first look after a start does more, see
 * `first`); a round never overlaps the last one, and a failure is logged, never thrown. A table
 * counts as being filled while each round finds more rows inserted since its last VACUUM than the
 * round before, for at most `fillingMaxMs`: one filled for longer (a steady stream of rows, an
 * import of 100,000 cards) is kept by the usual rules again.
 */
export function startPgliteVacuum(db: Database, log: Logger, everyMs = PGLITE_VACUUM_EVERY_MS, fillingMaxMs = 60_000) {
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let stopped = false;
  let first = true;
  const restUntil = new Map<string, number>();
  const insertedBefore = new Map<string, number>();
  const fillingSince = new Map<string, number>();
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      const filling = (table: string, inserted: number) => {
        const before = insertedBefore.get(table) ?? 0;
        insertedBefore.set(table, inserted);
        if (inserted <= before) {
          fillingSince.delete(table);
          return false;
        }
        if (!fillingSince.has(table)) fillingSince.set(table, performance.now());
        return performance.now() - fillingSince.get(table)! < fillingMaxMs;
      };
      round = maintainTables(db, { first, filling, resting: (table) => (restUntil.get(table) ?? 0) > performance.now() })
        .then(
          (done) => {
            first = false;
            for (const a of done.analyzed) restUntil.set(a.table, performance.now() + a.ms * ANALYZE_REST_FACTOR);
            if (done.vacuumed.length || done.analyzed.length) log.debug(done, "PGlite tables vacuumed / analyzed");
          },
          (err: unknown) => log.warn({ err }, "vacuuming PGlite's tables failed; tried again next round"),
        )
        .finally(schedule);
    }, everyMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
