import fs from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import type { Database, Queryable } from "./database.ts";
import { createNotifier, type Notification } from "./notifier.ts";
import { lockPgliteDir } from "./pglite-lock.ts";

// bigint counts come back as JS numbers on both engines, so repositories see one shape.
const INT8_OID = 20;
const BACKGROUND_MAX_WAIT_MS = 250;
/**
 * PGlite's initdb writes PostgreSQL's default 128 MB of shared buffers, all of it resident in the
 * WebAssembly heap: a third of an idle server's memory. Its files are read through Node's fs, so
 * the operating system's page cache still holds what does not fit (docs/decisions.md, "Start-up
 * and footprint").
 */
const SHARED_BUFFERS = "32MB";

export async function openPglite(dir: string): Promise<Database> {
  fs.mkdirSync(dir, { recursive: true });
  const release = lockPgliteDir(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(dir, {
      extensions: { pg_trgm },
      startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${SHARED_BUFFERS}`],
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
  async function transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
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
  }

  // Two lanes in front of the one connection. Requests (the foreground) are counted while they
  // wait or run; background work (jobs) starts a statement or transaction only when none is,
  // so a webhook's ack waits for at most the job transaction already running, never for a
  // backlog. So that a steady stream of requests cannot stop jobs for good, background work
  // goes ahead after waiting BACKGROUND_MAX_WAIT_MS.
  let foreground = 0;
  let quietWaiters: (() => void)[] = [];
  const inForeground = async <T>(op: () => Promise<T>): Promise<T> => {
    foreground++;
    try {
      return await op();
    } finally {
      if (--foreground === 0) quietWaiters.splice(0).forEach((wake) => wake());
    }
  };
  const quiet = () =>
    foreground === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            quietWaiters = quietWaiters.filter((w) => w !== done);
            resolve();
          };
          const timer = setTimeout(done, BACKGROUND_MAX_WAIT_MS);
          quietWaiters.push(done);
        });

  const common = {
    kind: "pglite" as const,
    async listen(channel: string, onPayload: (payload: string) => void) {
      // In-process: the listening "connection" cannot be lost.
      return db.listen(channel, onPayload);
    },
    async ping() {
      await inForeground(() => db.query("select 1"));
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
  const background: Database = {
    ...common,
    query: async (sql, params) => (await quiet(), base.query(sql, params)),
    exec: async (sql) => (await quiet(), base.exec(sql)),
    notify: base.notify,
    transaction: async (fn) => (await quiet(), transaction(fn)),
    background: () => background,
  };
  return {
    ...common,
    query: (sql, params) => inForeground(() => base.query(sql, params)),
    exec: (sql) => inForeground(() => base.exec(sql)),
    notify: base.notify,
    transaction: (fn) => inForeground(() => transaction(fn)),
    background: () => background,
  };
}
