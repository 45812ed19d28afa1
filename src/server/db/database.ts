import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { Logger } from "pino";
import { createNotifier, type Notification } from "./notifier.ts";
import { lockPgliteDir } from "./pglite-lock.ts";
import { openPostgres } from "./postgres.ts";

export { isConnectionError, openPostgres } from "./postgres.ts";

/** Anything SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * NOTIFY `channel` with `payload` once this transaction has committed (at once outside one);
   * nothing is sent if it rolls back. Sent apart from the transaction and coalesced (notifier.ts).
   */
  notify(channel: string, payload: string): Promise<void>;
}

export type Unlisten = () => Promise<void>;

export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a channel; the callback gets each NOTIFY payload. If the listening connection is
   * lost it is re-opened by itself, and `onReconnect` runs so the owner can catch up on what was
   * sent meanwhile.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<Unlisten>;
  /** Whether the database answers a trivial query within `timeoutMs` (health checks). */
  ping(timeoutMs: number): Promise<boolean>;
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
  const notifier = createNotifier(async (batch) => {
    await db.query("SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS x(c, p)", [batch.map((n) => n.channel), batch.map((n) => n.payload)]);
  });
  const wrap = (q: Pick<PGlite, "query" | "exec">, notify: Queryable["notify"]): Queryable => ({
    async query<T>(sql: string, params?: readonly unknown[]) {
      const res = await q.query<T>(sql, params ? [...params] : undefined);
      return res.rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
    notify,
  });
  const base = wrap(db, (channel, payload) => notifier.notify([{ channel, payload }]));
  return {
    kind: "pglite",
    query: base.query,
    exec: base.exec,
    notify: base.notify,
    async transaction(fn) {
      const pending: Notification[] = [];
      const result = await db.transaction((tx) =>
        fn(
          wrap(tx, async (channel, payload) => {
            pending.push({ channel, payload });
          }),
        ),
      );
      await notifier.notify(pending);
      return result;
    },
    async listen(channel, onPayload) {
      // In-process: the listening "connection" cannot be lost.
      const unsub = await db.listen(channel, onPayload);
      return unsub;
    },
    async ping() {
      await db.query("select 1");
      return true;
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

export async function openDatabase(opts: { databaseUrl?: string; dataDir: string; log?: Logger; databasePoolSize?: number }): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, { log: opts.log, poolSize: opts.databasePoolSize });
  return openPglite(path.join(opts.dataDir, "pglite"));
}
