/**
 * Statements that PostgreSQL parses and plans once per connection instead of on every call.
 *
 * Profiling the webhook acks (perf, docs/benchmarks.md 2026-12-01 03:40) showed PostgreSQL spending
 * about twice as long parsing and planning the small, fixed statements of the event pipeline (the
 * ack's ingest, the queue's claim and release, the set-based drain) as running them. Preparing is
 * opt-in, for fixed texts whose best plan does not depend on the values: after five runs
 * PostgreSQL may keep one generic plan, which would be wrong for searches whose plan rests on how
 * selective their words are. A prepared statement must name its result columns (no `SELECT *` of
 * a table): a migration that adds a column would otherwise fail it on every pooled connection
 * ("cached plan must not change result type") while an older instance still runs.
 *
 * PGlite has no named statements in its API; there the mark changes nothing.
 */
const names = new Map<string, string>();

/** A mark only fixed texts may carry; more distinct texts than this means one is built from values. */
const MAX_PREPARED = 200;

/** Marks `sql` as prepared and returns it unchanged: `db.query(prepared(\`…\`), params)`. */
export function prepared(sql: string): string {
  if (!names.has(sql)) {
    if (names.size >= MAX_PREPARED) throw new Error(`prepared(): more than ${MAX_PREPARED} distinct statements; is one built from values?`);
    names.set(sql, `tsunagu_${names.size + 1}`);
  }
  return sql;
}

/** The statement's name on a connection, when it was marked. */
export const preparedName = (sql: string): string | undefined => names.get(sql);
