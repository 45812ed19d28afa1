import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openPglite, openPostgres, type Database } from "../../src/server/db/database.ts";

/** Creates an empty database on the PostgreSQL server behind `adminUrl`; `drop()` removes it. */
export async function createFreshDatabase(adminUrl: string, prefix = "tsunagu_t") {
  const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A fresh database on TEST_DATABASE_URL's server, or undefined when the suite runs on PGlite. */
export async function freshTestDatabase(prefix?: string) {
  const adminUrl = process.env.TEST_DATABASE_URL;
  return adminUrl ? createFreshDatabase(adminUrl, prefix) : undefined;
}

/**
 * An open, empty database for tests of one module (the medium tier): PGlite in a temporary
 * folder, or a fresh database on TEST_DATABASE_URL's server. `dispose()` closes and removes it.
 */
export async function openTestDatabase(prefix = "tsunagu_t"): Promise<{ db: Database; dispose(): Promise<void> }> {
  const fresh = await freshTestDatabase(prefix);
  if (fresh) {
    const db = await openPostgres(fresh.url);
    return {
      db,
      async dispose() {
        await db.close();
        await fresh.drop();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const db = await openPglite(dir);
  return {
    db,
    async dispose() {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
