import type { Logger } from "pino";
import pg from "pg";
import type { Database, Queryable } from "./database.ts";
import { createNotifier, type Notification } from "./notifier.ts";
import { preparedName } from "./prepared.ts";

// bigint counts come back as JS numbers on both engines, so repositories see one shape.
const INT8_OID = 20;

export interface PostgresOptions {
  /** Where connection faults are reported; they are survived, never thrown at the process. */
  log?: Logger;
  /** Connections in the pool (one process); LISTEN connections come on top. */
  poolSize?: number;
}

/** Delays between attempts to re-open a LISTEN connection: 0.5 s doubling to 30 s, for as long as it takes. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
}

export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Database> {
  const { log } = opts;
  const poolSize = opts.poolSize ?? 10;
  const types = {
    getTypeParser(oid: number, format?: "text" | "binary") {
      if (oid === INT8_OID) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    // An unreachable server fails a request in seconds (503) instead of queueing it forever.
    connectionTimeoutMillis: 5_000,
  });
  // An idle pooled connection that the server closes (restart, failover, pg_terminate_backend,
  // DROP DATABASE … WITH (FORCE)) emits 'error'; without a listener Node ends the process.
  // The pool has already discarded that connection and opens a new one on the next query.
  pool.on("error", (err) => log?.warn({ err: describe(err) }, "a pooled database connection was closed; it will be replaced"));
  // The pool stops listening to a connection the moment it hands it out, and a borrower awaiting
  // pool.connect() starts listening only a microtask later: a FATAL parsed from the same read as
  // the connection's readiness lands in between and, unheard, ends the process. Every connection
  // therefore keeps one listener for life; withConnection still learns of the fault, because pg
  // refuses the next statement ("not queryable") and that connection is then discarded.
  pool.on("connect", (client) => {
    client.on("error", (err) => log?.debug({ err: describe(err) }, "a database connection was closed"));
  });
  // Fail at start, with the server's own message, rather than on the first request.
  await pool.query("select 1").catch(async (err: unknown) => {
    await pool.end();
    throw err;
  });
  const listeners = new Set<{ stop(): Promise<void> }>();
  // Notification-only transactions commit asynchronously: they still take NOTIFY's database-wide
  // lock, but no longer hold it through a WAL flush. One round trip for the whole batch.
  const notifier = createNotifier(async (batch) => {
    const values = batch.map((n) => `(${pg.escapeLiteral(n.channel)}, ${pg.escapeLiteral(n.payload)})`).join(", ");
    await withConnection(pool, (c) =>
      c.query(`BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_notify(ch, p) FROM (VALUES ${values}) AS v(ch, p); COMMIT;`).catch(async (err: unknown) => {
        // The script stops at the failing statement: end its transaction before the connection goes back.
        await c.query("ROLLBACK").catch(() => undefined);
        throw err;
      }),
    );
  });
  // Every pooled connection can be stale at once (a failover ends them all), each failing at once.
  const retryOnStale = <T>(run: () => Promise<T>) => retryWhile(run, endedByServer, poolSize + 1);
  const database: Database = {
    kind: "postgres",
    async query<T>(sql: string, params?: readonly unknown[]) {
      return retryOnStale(() => withConnection(pool, async (c) => (await c.query(statement(sql, params))).rows as T[]));
    },
    async exec(sql) {
      await withConnection(pool, (c) => c.query(sql));
    },
    notify: (channel, payload) => notifier.notify([{ channel, payload }]),
    async transaction(fn) {
      const pending: Notification[] = [];
      const attempt = () => withConnection(pool, async (client) => {
        const tx: Queryable = {
          async query<T>(sql: string, params?: readonly unknown[]) {
            return (await client.query(statement(sql, params))).rows as T[];
          },
          async exec(sql: string) {
            await client.query(sql);
          },
          async notify(channel: string, payload: string) {
            pending.push({ channel, payload });
          },
        };
        await client.query("BEGIN").catch((err: unknown) => {
          throw endedByServer(err) ? new EndedBeforeBegin(err) : err;
        });
        try {
          const result = await fn(tx);
          await client.query("COMMIT");
          return result;
        } catch (err) {
          // A ROLLBACK that fails means the connection is gone; withConnection then drops it.
          await client.query("ROLLBACK").catch(() => undefined);
          throw err;
        }
      });
      // Nothing of `fn` ran on a connection that was found ended at BEGIN: try again on another.
      const result = await retryOnStale(attempt).catch((err: unknown) => {
        throw err instanceof EndedBeforeBegin ? err.cause : err;
      });
      // The change is committed whatever happens to its notifications; listeners' sweeps cover a lost one.
      await notifier.notify(pending).catch((err: unknown) => log?.warn({ err: describe(err) }, "notifying listeners after commit failed"));
      return result;
    },
    async listen(channel, onPayload, onReconnect, onLost) {
      const listener = persistentListener(url, channel, onPayload, onReconnect, onLost, log);
      await listener.started;
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    async ping(timeoutMs) {
      return withTimeout(pool.query("select 1").then(() => true), timeoutMs).catch(() => false);
    },
    async close() {
      await Promise.all([...listeners].map((l) => l.stop()));
      listeners.clear();
      await pool.end();
    },
    // Connections are many: background work needs no lane of its own.
    background: () => database,
  };
  return database;
}

/**
 * The server ended the session (pg_terminate_backend, a restart, a failover): 57P01/57P02. An
 * idle pooled connection learns of it only when its next statement is sent, so right after a
 * failover the first statement on each stale connection fails this way. Such a statement did not
 * commit (the backend aborts it; a commit holds interrupts until it is done), so an autocommit
 * statement or a BEGIN is sent once more on a fresh connection instead of failing a request.
 */
function endedByServer(err: unknown): boolean {
  if (err instanceof EndedBeforeBegin) return true;
  const e = err as { code?: unknown; message?: unknown } | undefined;
  // pg refuses, without sending anything, a statement on a connection it already saw fail.
  return e?.code === "57P01" || e?.code === "57P02" || (typeof e?.message === "string" && e.message.includes("is not queryable"));
}

/** The query for pg: named when marked prepared (prepared.ts), so each connection parses and plans it once. */
function statement(text: string, params?: readonly unknown[]): pg.QueryConfig {
  return { name: preparedName(text), text, values: params ? [...params] : undefined };
}

async function retryWhile<T>(run: () => Promise<T>, retriable: (err: unknown) => boolean, attempts: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !retriable(err)) throw err;
    }
  }
}

class EndedBeforeBegin extends Error {
  constructor(override readonly cause: unknown) {
    super("the connection was ended by the server before BEGIN", { cause });
  }
}

/** A connection could not be had at all: the server is down, restarting, full or refusing us. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = "DatabaseUnavailableError";
  }
}

/**
 * Runs `fn` on a pooled connection. While checked out the pool does not listen to the
 * connection, so a server-side close would be an unhandled 'error' that ends the process: it is
 * caught here (the running query rejects by itself) and the broken connection is destroyed
 * instead of going back to the pool.
 */
async function withConnection<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new DatabaseUnavailableError(err);
  }
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on("error", onError);
  try {
    return await fn(client);
  } catch (err) {
    if (isConnectionError(err)) broken ??= err as Error;
    throw err;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}

/**
 * LISTEN needs a connection of its own, outside the pool. When it drops it is opened again,
 * with growing delays, until it works or is stopped; `onReconnect` then lets the owner catch up
 * on notifications sent while no one listened.
 */
function persistentListener(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  onReconnect: (() => void) | undefined,
  onLost: (() => void) | undefined,
  log: Logger | undefined,
) {
  let stopped = false;
  let current: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  const open = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    c.on("error", (err) => {
      if (current !== c) return;
      current = undefined;
      c.end().catch(() => undefined);
      if (stopped) return;
      onLost?.();
      log?.warn({ err: describe(err), channel }, "LISTEN connection lost; re-opening");
      schedule();
    });
    c.on("notification", (n) => {
      if (n.channel === channel) onPayload(n.payload ?? "");
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      c.end().catch(() => undefined);
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    current = c;
  };

  const schedule = () => {
    const delay = reconnectDelayMs(failures++);
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      open().then(
        () => {
          if (stopped) return;
          log?.info({ channel, attempts: failures }, "LISTEN connection re-opened");
          failures = 0;
          onReconnect?.();
        },
        (err: unknown) => {
          if (stopped) return;
          log?.warn({ err: describe(err), channel, retryInMs: reconnectDelayMs(failures) }, "LISTEN connection could not be re-opened");
          schedule();
        },
      );
    }, delay);
    timer.unref();
  };

  return {
    started: open(),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = current;
      current = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "57P01", "57P02", "57P03", "53300"]);

/**
 * True when an error means the database could not be reached or dropped the connection, rather
 * than that the statement was wrong: such requests are answered 503 (retry later), not 500.
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  if (!e || typeof e !== "object") return false;
  if (err instanceof DatabaseUnavailableError) return true;
  if (typeof e.code === "string" && (CONNECTION_CODES.has(e.code) || e.code.startsWith("08"))) return true;
  if (typeof e.message === "string" && /Connection terminated|connection timeout|Client has encountered a connection error|Connection ended unexpectedly/i.test(e.message))
    return true;
  return e.cause !== undefined && e.cause !== err && isConnectionError(e.cause);
}

/** What is logged of a database error: its code and message, never the statement's parameters. */
function describe(err: unknown) {
  const e = err as { code?: string; message?: string };
  return { code: e?.code, message: e?.message };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
