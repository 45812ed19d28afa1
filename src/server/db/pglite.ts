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
  // wait or run; background work (jobs) starts a statement or transaction when none is, or
  // after a request finishes (one background operation per finished request), so a webhook's
  // ack waits for at most a job transaction or two, never for a backlog, and a steady stream of
  // requests cannot stop jobs either. BACKGROUND_MAX_WAIT_MS bounds the wait in any case.
  let foreground = 0;
  let quietWaiters: (() => void)[] = [];
  const inForeground = async <T>(op: () => Promise<T>): Promise<T> => {
    foreground++;
    try {
      return await op();
    } finally {
      // All of the background goes when requests are done; while they keep coming, one
      // background operation goes after each request, so neither side stops the other.
      if (--foreground === 0) quietWaiters.splice(0).forEach((wake) => wake());
      else quietWaiters[0]?.();
    }
  };
  // PGlite runs each statement synchronously on this thread and resolves it as a microtask, so a
  // job loop chaining statements would never let the event loop reach its I/O phase: no request
  // would even be read, so none could count as waiting. Background work therefore first yields
  // one turn of the event loop (setImmediate runs after I/O), which lets arrived requests in.
  const quiet = async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (foreground === 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        quietWaiters = quietWaiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, BACKGROUND_MAX_WAIT_MS);
      quietWaiters.push(done);
    });
  };

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
