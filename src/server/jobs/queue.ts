import type { Logger } from "pino";
import type { Database, Queryable } from "../db/database.ts";

export interface NewJob {
  kind: string;
  payload?: unknown;
  /** Jobs with the same key run one at a time, oldest `orderedAt` first. */
  orderingKey?: string;
  orderedAt?: Date;
  runAt?: Date;
  maxAttempts?: number;
}

export interface ClaimedJob {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

export type JobHandler = (job: ClaimedJob, tx: Queryable) => Promise<void>;

/**
 * A job whose work is a side effect outside the database (sending mail). It runs without
 * holding a transaction — on PGlite a transaction holds the only connection, and a local SMTP
 * capture that stores into the same database would wait for it forever — and is marked done
 * afterwards: at-least-once, which is what mail delivery is anyway.
 */
export interface OutsideTransactionJob {
  outsideTransaction: true;
  run: (job: ClaimedJob, db: Queryable) => Promise<void>;
}

export type JobHandlers = Record<string, JobHandler | OutsideTransactionJob>;

const JOBS_CHANNEL = "tsunagu_jobs";
const LEASE_SECONDS = 60;

/**
 * Enqueue inside the caller's transaction: the job exists exactly when the change that needs it
 * commits. The insert and the wake-up NOTIFY (delivered at commit) are one statement, as every
 * acknowledged webhook pays for this round trip.
 */
export async function enqueue(tx: Queryable, job: NewJob): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `WITH job AS (
       INSERT INTO jobs (kind, payload, ordering_key, ordered_at, run_at, max_attempts)
       VALUES ($1, $2, $3, coalesce($4, now()), coalesce($5, now()), $6) RETURNING id)
     SELECT id, pg_notify('${JOBS_CHANNEL}', $1) FROM job`,
    [job.kind, JSON.stringify(job.payload ?? {}), job.orderingKey ?? null, job.orderedAt ?? null, job.runAt ?? null, job.maxAttempts ?? 8],
  );
  return row!.id;
}

/** Exponential backoff with jitter, capped at 10 minutes: 1 s, 2 s, 4 s … */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(600_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Claims one runnable job: pending, due, not leased, and first in line for its ordering key.
 * SKIP LOCKED lets any number of workers on any number of instances claim without blocking.
 */
async function claim(db: Queryable, kinds: readonly string[]): Promise<ClaimedJob | undefined> {
  const [row] = await db.query<ClaimedJob>(
    `UPDATE jobs SET attempts = attempts + 1, locked_until = now() + make_interval(secs => ${LEASE_SECONDS})
     WHERE id = (
       SELECT j.id FROM jobs j
       WHERE j.state = 'pending' AND j.run_at <= now() AND j.kind = ANY($1::text[])
         AND (j.locked_until IS NULL OR j.locked_until < now())
         AND (j.ordering_key IS NULL OR NOT EXISTS (
           SELECT 1 FROM jobs p
           WHERE p.ordering_key = j.ordering_key AND p.state = 'pending'
             AND (p.ordered_at, p.id) < (j.ordered_at, j.id)))
       ORDER BY j.run_at, j.id
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, payload, attempts, max_attempts`,
    [kinds],
  );
  return row;
}

export interface Worker {
  /** Resolves once every queued, due job has been run (tests and shutdown use it). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorker(opts: {
  db: Database;
  handlers: JobHandlers;
  log: Logger;
  pollMs?: number;
  concurrency?: number;
}): Promise<Worker> {
  const { db, handlers, log } = opts;
  const kinds = Object.keys(handlers);
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  async function runOne(): Promise<boolean> {
    const job = await claim(db, kinds);
    if (!job) return false;
    const handler = handlers[job.kind]!;
    const markDone = (q: Queryable) => q.query("UPDATE jobs SET state = 'done', finished_at = now(), locked_until = NULL WHERE id = $1", [job.id]);
    try {
      if (typeof handler === "function") {
        // The handler's writes and the job's completion commit together: exactly once.
        await db.transaction(async (tx) => {
          await handler(job, tx);
          await markDone(tx);
        });
      } else {
        await handler.run(job, db);
        await markDone(db);
      }
    } catch (err) {
      const dead = job.attempts >= job.max_attempts;
      log.warn({ err, jobId: job.id, kind: job.kind, attempt: job.attempts, dead }, "job failed");
      await db.query(
        `UPDATE jobs SET state = $2, locked_until = NULL, last_error = $3,
           run_at = now() + make_interval(secs => $4::double precision / 1000), finished_at = CASE WHEN $2 = 'dead' THEN now() END
         WHERE id = $1`,
        [job.id, dead ? "dead" : "pending", String((err as Error)?.stack ?? err).slice(0, 4000), backoffMs(job.attempts)],
      );
    }
    return true;
  }

  let idleWaiters: (() => void)[] = [];
  // PGlite is one connection: a second loop would only wait for the first.
  const loops = Array.from({ length: opts.concurrency ?? (db.kind === "pglite" ? 1 : 2) }, async () => {
    while (!stopped) {
      let worked = false;
      try {
        worked = await runOne();
      } catch (err) {
        if (!stopped) log.error({ err }, "job worker error");
      }
      if (!worked) {
        idleWaiters.splice(0).forEach((r) => r());
        if (!stopped) await sleep(opts.pollMs ?? 500);
      }
    }
  });
  const unlisten = await db.listen(JOBS_CHANNEL, () => wake?.());

  return {
    async drain() {
      for (;;) {
        const [row] = await db.query<{ n: number }>(
          "SELECT count(*) AS n FROM jobs WHERE state = 'pending' AND run_at <= now() AND kind = ANY($1::text[])",
          [kinds],
        );
        if (row!.n === 0) return;
        await new Promise<void>((r) => {
          idleWaiters.push(r);
          wake?.();
        });
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await unlisten();
      await Promise.all(loops);
      idleWaiters.splice(0).forEach((r) => r());
      idleWaiters = [];
    },
  };
}
