import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "./database.ts";

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");
// Any constant works; it only has to be the same for every instance racing to migrate.
const MIGRATION_LOCK = 727_001;

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      sql: fs.readFileSync(path.join(dir, f), "utf8"),
    }));
}

/**
 * Applies every migration not yet recorded, in file order, in one transaction: a failing file
 * leaves the schema exactly as it was.
 */
export async function migrate(db: Database, files = readMigrations()): Promise<string[]> {
  const applied: string[] = [];
  let upgraded = false;
  await db.transaction(async (tx) => {
    // Several instances may start at once on one PostgreSQL: one migrates, the others wait.
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await tx.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => r.version),
    );
    upgraded = done.size > 0;
    for (const m of files) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      applied.push(`${String(m.version).padStart(4, "0")}_${m.name}`);
    }
  });
  // PGlite has no autovacuum: the row versions a migration rewrote (0029 rewrites every tagged
  // contact) would stay in every scan of the table for good — at 100k contacts, 1.6× the pages
  // per search. PostgreSQL's autovacuum does this by itself. A new database has nothing to clean.
  if (db.kind === "pglite" && upgraded && applied.length) await db.exec("VACUUM ANALYZE");
  return applied;
}
