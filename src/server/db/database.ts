import path from "node:path";
import type { Logger } from "pino";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

export { openPglite } from "./pglite.ts";
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
   * sent meanwhile; `onLost` runs when it drops, for owners that must not trust what they hold
   * while nobody listens.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void, onLost?: () => void): Promise<Unlisten>;
  /** Whether the database answers a trivial query within `timeoutMs` (health checks). */
  ping(timeoutMs: number): Promise<boolean>;
  /**
   * The same database for work that can wait (the job worker). On PGlite, whose one connection
   * runs one statement or transaction at a time, it lets requests go first; on PostgreSQL it is
   * the same pool.
   */
  background(): Database;
  close(): Promise<void>;
}

export async function openDatabase(opts: { databaseUrl?: string; dataDir: string; log?: Logger; databasePoolSize?: number }): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, { log: opts.log, poolSize: opts.databasePoolSize });
  return openPglite(path.join(opts.dataDir, "pglite"));
}
