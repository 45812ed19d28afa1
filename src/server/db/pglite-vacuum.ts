import type { Logger } from "pino";
import type { Database } from "./database.ts";

/**
 * How often PGlite's tables are vacuumed. The webhook intake, the job queue and the events take
 * rows in and out by the thousand; without VACUUM the free space those rows leave is never
 * recorded, so every insert extends the file (measured: 14.5 MB of `line_intake` for 14,000 acks
 * and none left in it). Every ten seconds keeps a table to about what ten seconds of churn fill;
 * a table that 21,000 rows passed through takes 10 ms to vacuum.
 */
const PGLITE_VACUUM_EVERY_MS = 10_000;

/**
 * PGlite's own autovacuum, which it lacks: embedded PostgreSQL runs a single backend, with neither
 * the autovacuum launcher nor the statistics (n_dead_tup stays 0) that would say which table needs
 * it. So every table is vacuumed in turn, one statement at a time through the background lane:
 * requests go first and wait for at most one table's VACUUM, and a table with nothing to clean
 * costs a look at its visibility map (the whole 100k-contact database: ≈ 25 ms). No ANALYZE here:
 * it samples every table each time (≈ 300 ms on the same database); migrations analyze what they
 * change.
 */
export async function vacuumTables(db: Database): Promise<string[]> {
  const tables = await db.query<{ name: string }>(
    "SELECT quote_ident(c.relname) AS name FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace ORDER BY c.relname",
  );
  for (const { name } of tables) await db.exec(`VACUUM ${name}`);
  return tables.map((t) => t.name);
}

/** Vacuums every PGLITE_VACUUM_EVERY_MS until stopped; a round never overlaps the last one, and a failure is logged, never thrown. */
export function startPgliteVacuum(db: Database, log: Logger, everyMs = PGLITE_VACUUM_EVERY_MS) {
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = vacuumTables(db)
        .then(
          () => undefined,
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
