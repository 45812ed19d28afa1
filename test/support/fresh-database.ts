import crypto from "node:crypto";
import pg from "pg";

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
