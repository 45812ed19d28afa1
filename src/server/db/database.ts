import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import pg from "pg";
import { lockPgliteDir } from "./pglite-lock.ts";

/** Anything SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type Unlisten = () => Promise<void>;

export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; the callback gets each NOTIFY payload. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<Unlisten>;
  close(): Promise<void>;
}

// bigint counts come back as JS numbers on both engines, so repositories see one shape.
const INT8_OID = 20;

export async function openPglite(dir: string): Promise<Database> {
  fs.mkdirSync(dir, { recursive: true });
  const release = lockPgliteDir(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(dir, {
      extensions: { pg_trgm },
      parsers: { [INT8_OID]: (v: string) => Number(v) },
    });
  } catch (err) {
    release();
    throw err;
  }
  const wrap = (q: Pick<PGlite, "query" | "exec">): Queryable => ({
    async query<T>(sql: string, params?: readonly unknown[]) {
      const res = await q.query<T>(sql, params ? [...params] : undefined);
      return res.rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const base = wrap(db);
  return {
    kind: "pglite",
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onPayload) {
      const unsub = await db.listen(channel, onPayload);
      return unsub;
    },
    async close() {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}

export async function openPostgres(url: string): Promise<Database> {
  const typeParsers = {
    getTypeParser(oid: number, format?: "text" | "binary") {
      if (oid === INT8_OID) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
  const pool = new pg.Pool({ connectionString: url, max: 10, types: typeParsers });
  // Fail at start, with the server's own message, rather than on the first request.
  await pool.query("select 1");
  const listeners: pg.Client[] = [];
  return {
    kind: "postgres",
    async query<T>(sql: string, params?: readonly unknown[]) {
      const res = await pool.query(sql, params ? [...params] : undefined);
      return res.rows as T[];
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          async query<T>(sql: string, params?: readonly unknown[]) {
            const res = await client.query(sql, params ? [...params] : undefined);
            return res.rows as T[];
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      // LISTEN needs a connection of its own that stays out of the pool. If it drops, it is
      // re-opened; notifications lost meanwhile are covered by the listeners' own sweeps.
      let stopped = false;
      let client: pg.Client | undefined;
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: url });
        c.on("error", () => {
          listeners.splice(listeners.indexOf(c), 1);
          c.end().catch(() => undefined);
          if (!stopped) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
        });
        c.on("notification", (n) => {
          if (n.channel === channel) onPayload(n.payload ?? "");
        });
        await c.connect();
        await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        listeners.push(c);
        client = c;
      };
      await connect();
      return async () => {
        stopped = true;
        if (client && listeners.includes(client)) listeners.splice(listeners.indexOf(client), 1);
        await client?.end().catch(() => undefined);
      };
    },
    async close() {
      await Promise.all(listeners.splice(0).map((c) => c.end()));
      await pool.end();
    },
  };
}

export async function openDatabase(opts: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  return openPglite(path.join(opts.dataDir, "pglite"));
}
