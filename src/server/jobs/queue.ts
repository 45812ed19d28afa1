import type { Logger } from "pino";
import type { z } from "zod";
import type { Database, Queryable } from "../db/database.ts";
import { prepared } from "../db/prepared.ts";

/**
 * The durable job queue (DESIGN §4), in the same database as the data so that a job exists
 * exactly when the change that needs it commits (transactional outbox). Built on
 * graphile-worker's ideas, which cannot run on the embedded PGlite (docs/decisions.md "Job
 * queue"): claimed jobs are leased and `running`, finished jobs are deleted, and jobs sharing an
 * ordering key (one LINE user's events) are claimed through one row per key in `job_keys`, so a
 * claim reads a few rows whatever the backlog, different keys run in parallel and one key's jobs
 * run one at a time in (ordered_at, id) order. This module alone holds the jobs SQL.
 */

export interface JobContext {
  /** The job's transaction: its writes commit together with the job's removal (exactly once). Outside-transaction jobs get the database. */
  tx: Queryable;
  /** The worker's database, for outside-transaction jobs that open short transactions of their own. */
  db: Database;
  jobId: number;
  attempt: number;
  /** No retry follows if this attempt throws. */
  lastAttempt: boolean;
  log: Logger;
}

export interface ManyJob<P> {
  id: number;
  key: string;
  payload: P;
  attempt: number;
}

export interface ManyContext {
  tx: Queryable;
  log: Logger;
}

export interface JobDefinition<P = unknown> {
  kind: string;
  payload: z.ZodType<P>;
  run(payload: P, ctx: JobContext): Promise<void>;
  /**
   * The work is a side effect outside the database (sending mail): it runs without holding a
   * transaction — on PGlite a transaction holds the only connection, and a local SMTP capture
   * that stores into the same database would wait for it forever — and the job is removed
   * afterwards: at least once, which is what mail delivery is anyway.
   */
  outsideTransaction?: boolean;
  /**
   * Runs many keys' jobs of this kind together in one transaction, set-based (docs/decisions.md
   * "Set-based drain"): `jobs` are the leading jobs of several keys, each key's in order. Returns
   * the ids it ran, for each key a prefix of that key's jobs (the key's job after it depends on
   * what runs one by one). The jobs it did not run, and all of them when it throws (the whole
   * transaction is rolled back), run one by one through `run` as usual; so it must have no effect
   * outside its transaction.
   */
  runMany?(jobs: readonly ManyJob<P>[], ctx: ManyContext): Promise<ReadonlySet<number>>;
  /** A periodic job: one copy exists across all instances, and it runs again this long after each run. */
  everyMs?: number;
  maxAttempts?: number;
  /**
   * Runs, in a transaction, instead of `run` when the job's worker stopped during its last attempt
   * (its lease ran out): the job is then dead without running again, since a run that ends the
   * process (out of memory, a crash in native code) would otherwise end every process that claims
   * it, after every restart. Records the failure where people see it, as `run` does when its last
   * attempt throws.
   */
  abandoned?(payload: P, ctx: JobContext): Promise<void>;
}

/** Declares a job kind beside the code that runs it; `createJobRegistry` refuses a kind declared twice. */
export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  return def;
}

// Each definition keeps its own payload type; the registry only needs the common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobDefinition = JobDefinition<any>;

export interface JobRegistry {
  get(kind: string): AnyJobDefinition | undefined;
  kinds(): string[];
  periodic(): AnyJobDefinition[];
}

export function createJobRegistry(defs: readonly AnyJobDefinition[]): JobRegistry {
  const byKind = new Map<string, AnyJobDefinition>();
  for (const def of defs) {
    if (byKind.has(def.kind)) throw new Error(`job kind "${def.kind}" is defined twice`);
    byKind.set(def.kind, def);
  }
  return {
    get: (kind) => byKind.get(kind),
    kinds: () => [...byKind.keys()],
    periodic: () => [...byKind.values()].filter((d) => d.everyMs !== undefined),
  };
}

export interface EnqueueOptions {
  /** Jobs with the same key run one at a time, oldest `orderedAt` first. */
  orderingKey?: string;
  orderedAt?: Date;
  runAt?: Date;
  maxAttempts?: number;
}

const JOBS_CHANNEL = "tsunagu_jobs";
const DEFAULT_MAX_ATTEMPTS = 8;

/** Enqueues one job inside the caller's transaction; see enqueueMany. */
export function enqueue<P>(tx: Queryable, def: JobDefinition<P>, payload: P, opts: EnqueueOptions = {}): Promise<void> {
  return enqueueMany(tx, def, [{ payload, ...opts }]);
}

/**
 * Enqueues jobs inside the caller's transaction, in one statement whatever their number (the
 * rows and their keys), and wakes the workers once it commits. Payloads are checked against the
 * kind's schema here, so a bad payload fails the caller instead of a worker later.
 */
export async function enqueueMany<P>(tx: Queryable, def: JobDefinition<P>, jobs: readonly ({ payload: P } & EnqueueOptions)[]): Promise<void> {
  if (!jobs.length) return;
  const rows = jobs.map((j) => ({
    payload: def.payload.parse(j.payload),
    ordering_key: j.orderingKey ?? null,
    ordered_at: j.orderedAt?.toISOString() ?? null,
    run_at: j.runAt?.toISOString() ?? null,
    max_attempts: j.maxAttempts ?? def.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  }));
  await tx.query(
    prepared(`WITH input AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb)
         AS x(payload jsonb, ordering_key text, ordered_at timestamptz, run_at timestamptz, max_attempts int)
     ), inserted AS (
       INSERT INTO jobs (kind, payload, ordering_key, ordered_at, run_at, max_attempts)
       SELECT $1, payload, ordering_key, coalesce(ordered_at, now()), coalesce(run_at, now()), max_attempts FROM input
       RETURNING ordering_key, run_at
     ), keys AS (
       INSERT INTO job_keys AS k (key, next_run_at)
       SELECT ordering_key, min(run_at) FROM inserted WHERE ordering_key IS NOT NULL GROUP BY ordering_key ORDER BY ordering_key
       ON CONFLICT (key) DO UPDATE SET next_run_at = least(k.next_run_at, excluded.next_run_at), version = k.version + 1
       RETURNING 1
     )
     SELECT count(*) FROM inserted`),
    [def.kind, JSON.stringify(rows)],
  );
  await tx.notify(JOBS_CHANNEL, dueSignal(Math.min(...jobs.map((j) => j.runAt?.getTime() ?? 0))));
}

/**
 * A NOTIFY's payload: when the earliest job it announces falls due (ms since the epoch), rounded
 * up to 50 ms so that a burst of held webhook jobs makes a few distinct notifications (PostgreSQL
 * folds identical ones in a transaction), not one each, and a worker wakes to a claim's worth of
 * due events rather than to every few (docs/decisions.md, "Wider claims"). Empty means now.
 */
const DUE_ROUND_MS = 50;
const dueSignal = (at: number) => (at > Date.now() ? String(Math.ceil(at / DUE_ROUND_MS) * DUE_ROUND_MS) : "");

/** The due times each database was told of by enqueueFromQuery and that have not passed yet. */
const announced = new WeakMap<Queryable, Set<string>>();

/**
 * Tells every instance's workers when the jobs just committed fall due. Not awaited: the caller's
 * answer should not wait for the wake-up's own round trip, and a wake-up that never arrives only
 * delays the jobs until the workers' next poll. A due time already announced is not announced
 * again: the workers' timer for it wakes a loop that claims everything due by then, these
 * jobs included, and a claim that is full wakes the next loop. Acks at hundreds a second fell in
 * the same 50 ms step dozens at a time, and each NOTIFY is a transaction that wakes every listener.
 */
function announceDue(db: Queryable, signal: string) {
  let sent = announced.get(db);
  if (!sent) announced.set(db, (sent = new Set()));
  if (signal && sent.has(signal)) return;
  const now = Date.now();
  for (const s of sent) if (Number(s) <= now) sent.delete(s);
  if (signal) sent.add(signal);
  db.notify(JOBS_CHANNEL, signal).catch(() => void sent.delete(signal));
}

/**
 * The due times to announce for jobs falling due from `first` to `last`: each 50 ms step between,
 * so that every job is woken for at its own step (a feed spans a gathering of acks: announcing only
 * the first step left the last ones of a burst to the poll), at most a second's worth; later ones
 * are claimed by the loops that find work at those steps, or the poll.
 */
function dueSignals(first: number, last: number): Set<string> {
  const signals = new Set<string>();
  for (let at = first; signals.size < 20; at += DUE_ROUND_MS) {
    signals.add(dueSignal(Math.min(at, last)));
    if (at >= last) break;
  }
  return signals;
}

/**
 * Enqueues one job per row that the caller's data-modifying query returns, in the same statement:
 * the caller's writes and their jobs are one round trip, and outside a transaction one commit
 * (the webhook ack: LINE waits for it). `source.sql` is a query that may read the CTEs of
 * `source.with` (where the caller's data-modifying statements go: PostgreSQL allows them only at
 * the top level), uses parameters $1…$n, and returns the columns
 * `payload` (jsonb; a NULL payload makes no job), `ordering_key`, `ordered_at` and `run_at` (NULLs
 * mean none, now, now), and `part` (an integer naming which of the caller's inputs the row came
 * from: several callers' writes can share one statement). Payloads made in SQL cannot be checked
 * before they are stored; the worker checks them against the kind's schema before it runs them.
 */
export async function enqueueFromQuery(
  db: Queryable,
  def: AnyJobDefinition,
  source: { with?: string; sql: string; params: readonly unknown[]; maxAttempts?: number },
): Promise<EnqueuedFromQuery> {
  const n = source.params.length;
  const counts = await db.query<{ part: number; rows: number; jobs: number; due: number | null; last_due: number | null }>(
    // Fixed per caller (the caller's `with` and `sql` are constant texts), so it can be prepared.
    prepared(`WITH ${source.with ? `${source.with},` : ""} source AS (${source.sql}), inserted AS (
       INSERT INTO jobs (kind, payload, ordering_key, ordered_at, run_at, max_attempts)
       SELECT $${n + 1}, payload, ordering_key, coalesce(ordered_at, now()), coalesce(run_at, now()), $${n + 2} FROM source
       WHERE payload IS NOT NULL
       RETURNING ordering_key, run_at
     ), keys AS (
       INSERT INTO job_keys AS k (key, next_run_at)
       SELECT ordering_key, min(run_at) FROM inserted WHERE ordering_key IS NOT NULL GROUP BY ordering_key ORDER BY ordering_key
       ON CONFLICT (key) DO UPDATE SET next_run_at = least(k.next_run_at, excluded.next_run_at), version = k.version + 1
       RETURNING 1
     )
     -- Data-modifying CTEs run to completion whether read or not; every source row with a payload is one job.
     SELECT part, count(*) AS rows, count(payload) AS jobs,
            (SELECT (extract(epoch FROM min(run_at)) * 1000)::float8 FROM inserted) AS due,
            (SELECT (extract(epoch FROM max(run_at)) * 1000)::float8 FROM inserted) AS last_due
     FROM source GROUP BY part`),
    [...source.params, def.kind, source.maxAttempts ?? def.maxAttempts ?? DEFAULT_MAX_ATTEMPTS],
  );
  const firstDue = counts.some((c) => c.jobs > 0) ? (counts[0]!.due ?? 0) : null;
  if (firstDue !== null) for (const signal of dueSignals(firstDue, counts[0]!.last_due ?? firstDue)) announceDue(db, signal);
  return { parts: new Map(counts.map((c) => [c.part, { rows: c.rows, jobs: c.jobs }])), firstDue };
}

export interface EnqueuedFromQuery {
  /** Per part that returned rows: how many rows it returned and how many jobs it made. */
  parts: Map<number, { rows: number; jobs: number }>;
  /** When the earliest job made falls due (ms since the epoch); null when none was made. */
  firstDue: number | null;
}

/** Makes sure one copy of a periodic job exists, across every instance. */
async function schedulePeriodic(db: Queryable, def: AnyJobDefinition) {
  await db.query(
    `INSERT INTO jobs (kind, payload, singleton, max_attempts) VALUES ($1, '{}', $1, $2)
     ON CONFLICT (singleton) WHERE state <> 'dead' DO NOTHING`,
    [def.kind, def.maxAttempts ?? DEFAULT_MAX_ATTEMPTS],
  );
}

/** Exponential backoff with jitter, capped at 10 minutes: 1 s, 2 s, 4 s … */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(600_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

interface ClaimedJob {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  ordering_key: string | null;
  singleton: string | null;
}

export interface WorkerOptions {
  db: Database;
  registry: JobRegistry;
  log: Logger;
  /** How often an idle loop looks for work when no NOTIFY woke it (due retries, other instances' work). */
  pollMs?: number;
  /** Loops claiming and running jobs; PGlite has one connection, so one loop there. */
  concurrency?: number;
  /** A claimed job's lease; renewed while it runs, so only a dead worker's jobs run again. */
  leaseSeconds?: number;
  /** Ordering keys one claim takes, and jobs per key. */
  keysPerClaim?: number;
  jobsPerKey?: number;
  /** How many of one key's claimed jobs share a transaction (one commit and WAL flush instead of one each). */
  jobsPerTransaction?: number;
  /** How many jobs of kinds with `runMany` one set-based transaction takes, across keys. */
  jobsPerSetBasedTransaction?: number;
  /**
   * Outside-transaction jobs (calls to LINE, mail) that may wait on the network at once, apart
   * from the loops: a slow LINE then delays only the work that needs LINE.
   */
  networkConcurrency?: number;
  /** How often crashed workers' unkeyed jobs are put back and empty keys forgotten. */
  maintenanceMs?: number;
  /** Intakes whose rows become jobs (the webhook ack's one row); see JobFeeder. */
  feeders?: readonly JobFeeder[];
}

/**
 * A durable intake that becomes jobs later (docs/decisions.md, "The ack stores one row"): a
 * caller that must answer fast commits one cheap row, and the worker's loops turn the rows into
 * jobs — when the intake says rows arrived, at every poll (rows another instance left when it
 * stopped), and at start — before they claim. drain() waits until no row waits.
 */
export interface JobFeeder {
  /**
   * Turns up to a batch of rows into jobs in one statement (enqueueFromQuery); `more` when another
   * feed should look; `firstDue` is when the earliest job made falls due (null: none made).
   */
  feed(db: Database): Promise<{ taken: number; more: boolean; firstDue: number | null }>;
  waiting(db: Database): Promise<boolean>;
  /** The worker's wake-up, for the intake to call once new rows are committed; returns its removal. */
  onArrival(wake: () => void): () => void;
}

export interface Worker {
  /** Resolves once no job is due or running (tests and benchmarks use it). */
  drain(): Promise<void>;
  /** Lets running jobs finish, then stops claiming. */
  stop(): Promise<void>;
}

const DEAD_KEPT_DAYS = 30;
/** A job of a kind this process does not know (an older instance during a rolling deploy) waits for an instance that does. */
const UNKNOWN_KIND_DELAY_SECONDS = 30;

export async function startWorker(opts: WorkerOptions): Promise<Worker> {
  const { db, registry, log } = opts;
  const kinds = registry.kinds();
  const pollMs = opts.pollMs ?? 500;
  const lease = opts.leaseSeconds ?? 60;
  // More keys per claim on PostgreSQL: set-based kinds run them together, and the more keys a
  // transaction spans, the fewer round trips per job.
  const keysPerClaim = opts.keysPerClaim ?? (db.kind === "pglite" ? 4 : 32);
  const jobsPerKey = opts.jobsPerKey ?? 25;
  // PGlite: a transaction holds the only connection, so requests would wait for the whole batch.
  const jobsPerTransaction = opts.jobsPerTransaction ?? (db.kind === "pglite" ? 1 : 16);
  const jobsPerSetBasedTransaction = opts.jobsPerSetBasedTransaction ?? (db.kind === "pglite" ? 16 : 400);
  const networkConcurrency = opts.networkConcurrency ?? 16;
  const loopCount = opts.concurrency ?? (db.kind === "pglite" ? 1 : 4);
  /** Loops running what they claimed (the others are claiming or asleep). */
  let busyLoops = 0;
  let stopped = false;
  /** Keys and unkeyed jobs handed to the network lane, running while the loops go on. */
  const networkTasks = new Set<Promise<void>>();

  // A wake-up goes to one sleeping loop, and a loop whose claim was full wakes the next: a
  // notification costs one claim, not one per loop (four loops each claiming on every webhook's
  // NOTIFY cost a third of the ack rate). Only one sleeping loop keeps the poll's timer, handed on
  // when it wakes: the poll is a net for work nothing announced, and four loops each polling had an
  // idle server claim 16 times a second.
  const sleepers: { wake: () => void; timer?: NodeJS.Timeout }[] = [];
  const armPoll = (ms: number) => {
    const first = sleepers[0];
    if (first && !sleepers.some((s) => s.timer)) first.timer = setTimeout(first.wake, ms);
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (missedWakes > 0) {
        missedWakes--;
        return resolve();
      }
      const sleeper: (typeof sleepers)[number] = {
        wake: () => {
          const i = sleepers.indexOf(sleeper);
          if (i < 0) return;
          sleepers.splice(i, 1);
          if (sleeper.timer) {
            clearTimeout(sleeper.timer);
            armPoll(ms);
          }
          resolve();
        },
      };
      sleepers.push(sleeper);
      armPoll(ms);
    });
  // A wake-up with no loop asleep is kept for the next loop that would sleep: a loop still
  // claiming when work was handed back would otherwise sleep a whole poll past it.
  let missedWakes = 0;
  const wakeOne = () => {
    const sleeper = sleepers[0];
    if (sleeper) sleeper.wake();
    else missedWakes = Math.min(missedWakes + 1, loopCount);
  };
  const wakeAll = () => [...sleepers].forEach((s) => s.wake());

  // Jobs enqueued to run later (LINE events held for ordering) announce when they fall due: a
  // loop is woken then, instead of claiming now, finding nothing and sleeping a whole poll.
  const upcoming = new Set<number>();
  let dueTimer: NodeJS.Timeout | undefined;
  function armDueTimer() {
    if (dueTimer) clearTimeout(dueTimer);
    dueTimer = undefined;
    if (!upcoming.size || stopped) return;
    const next = Math.min(...upcoming);
    dueTimer = setTimeout(() => {
      for (const at of upcoming) if (at <= Date.now()) upcoming.delete(at);
      wakeOne();
      armDueTimer();
    }, next - Date.now());
    dueTimer.unref();
  }
  function onNotification(payload: string) {
    const at = Number(payload);
    if (!payload || !Number.isFinite(at) || at <= Date.now()) return wakeOne();
    if (upcoming.has(at)) return;
    upcoming.add(at);
    armDueTimer();
  }

  // Renewing the leases of what this process runs; a crashed process stops renewing and its work is claimed again.
  const heldJobs = new Set<number>();
  const heldKeys = new Set<string>();

  const feeders = opts.feeders ?? [];
  // At start: rows a stopped process acknowledged and did not feed.
  let feedWanted = feeders.length > 0;
  let lastFeed = 0;
  let feeding = false;
  const detachFeeders = feeders.map((f) =>
    f.onArrival(() => {
      feedWanted = true;
      wakeOne();
    }),
  );
  /**
   * One batch from each intake, by one loop at a time. `fed`: rows were taken. `nothingDue`: the feed
   * was asked for (rows arrived, or the last feed left more) and none of the jobs it made is due yet —
   * LINE's events wait out the hold; the due time the feed announced wakes a loop for them then.
   */
  async function feed(): Promise<{ fed: boolean; nothingDue: boolean }> {
    const none = { fed: false, nothingDue: false };
    if (feeding || !feeders.length || (!feedWanted && Date.now() - lastFeed < pollMs)) return none;
    feeding = true;
    const asked = feedWanted;
    feedWanted = false;
    lastFeed = Date.now();
    try {
      let taken = 0;
      let firstDue: number | null = null;
      for (const f of feeders) {
        const r = await f.feed(db);
        taken += r.taken;
        if (r.more) feedWanted = true;
        if (r.firstDue !== null) firstDue = Math.min(firstDue ?? Infinity, r.firstDue);
      }
      return { fed: taken > 0, nothingDue: asked && taken > 0 && (firstDue === null || firstDue > Date.now()) };
    } catch (err) {
      feedWanted = true;
      log.warn({ err }, "turning intake rows into jobs failed");
      return none;
    } finally {
      feeding = false;
    }
  }
  const heartbeat = setInterval(
    () => {
      if (!heldJobs.size && !heldKeys.size) return;
      // Rows are locked in key and id order, as enqueues lock keys and set-based runs delete jobs: a
      // loop holds dozens of keys, and an unordered renewal deadlocked with a webhook's enqueue (a 500 to LINE).
      // Only keys still leased: this list was read while a release may have been on its way, and a
      // renewal landing after that release locked a free key for a whole lease (its LINE user's
      // next message waited a minute).
      db.query(
        prepared(`WITH j AS (
           UPDATE jobs SET locked_until = now() + make_interval(secs => $3)
           WHERE id IN (SELECT id FROM jobs WHERE id = ANY($1::bigint[]) AND state = 'running' ORDER BY id FOR UPDATE)
         )
         UPDATE job_keys SET locked_until = now() + make_interval(secs => $3)
         WHERE key IN (SELECT key FROM job_keys WHERE key = ANY($2::text[]) AND locked_until IS NOT NULL ORDER BY key FOR UPDATE)`),
        [[...heldJobs], [...heldKeys], lease],
      ).catch((err: unknown) => log.warn({ err }, "renewing job leases failed"));
    },
    (lease * 1000) / 3,
  );
  heartbeat.unref();

  async function claimKeyed(): Promise<{ keys: { key: string }[]; jobs: ClaimedJob[] }> {
    const [row] = await db.query<{ keys: { key: string }[] | null; jobs: ClaimedJob[] | null }>(
      prepared(`WITH k AS (
         UPDATE job_keys SET locked_until = now() + make_interval(secs => $3)
         WHERE key IN (
           SELECT key FROM job_keys
           WHERE next_run_at <= now() AND (locked_until IS NULL OR locked_until < now())
           ORDER BY next_run_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING key
       ), c AS (
         -- The key's first jobs; a 'running' one was left by a worker whose lease (and key) expired.
         SELECT j.id, j.ordering_key, j.run_at <= now() AS due, j.attempts > 0 AS retried,
                row_number() OVER (PARTITION BY j.ordering_key ORDER BY j.ordered_at, j.id) AS pos
         FROM k CROSS JOIN LATERAL (
           SELECT id, ordering_key, ordered_at, run_at, attempts FROM jobs
           WHERE ordering_key = k.key AND state <> 'dead' ORDER BY ordered_at, id LIMIT $2) j
       ), runnable AS (
         -- Only the due prefix: a job waiting for its run_at (a hold, a retry) holds back the jobs after it.
         -- It ends at a job claimed before (a retry, or one a stopped worker held): should that job end
         -- the process again, the jobs behind it were not claimed and spend no attempt with it.
         SELECT c.id FROM c WHERE c.due AND NOT EXISTS (
           SELECT 1 FROM c e WHERE e.ordering_key = c.ordering_key AND e.pos < c.pos AND (NOT e.due OR e.retried))
       ), claimed AS (
         UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = now() + make_interval(secs => $3)
         WHERE id IN (SELECT id FROM runnable)
         RETURNING id, kind, payload, attempts, max_attempts, ordering_key, ordered_at, singleton
       )
       SELECT (SELECT json_agg(json_build_object('key', key)) FROM k) AS keys,
              (SELECT json_agg(claimed ORDER BY ordering_key, ordered_at, id) FROM claimed) AS jobs`),
      [keysPerClaim, jobsPerKey, lease],
    );
    return { keys: row?.keys ?? [], jobs: row?.jobs ?? [] };
  }

  async function claimUnkeyed(limit: number): Promise<ClaimedJob[]> {
    return db.query<ClaimedJob>(
      prepared(`UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = now() + make_interval(secs => $3)
       WHERE id IN (
         SELECT id FROM jobs
         WHERE state = 'pending' AND ordering_key IS NULL AND run_at <= now() AND kind = ANY($1::text[])
         ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, kind, payload, attempts, max_attempts, ordering_key, singleton`),
      [kinds, limit, lease],
    );
  }

  /** Runs one job; false when it failed (the key's later jobs must then wait for its retry). */
  async function runJob(job: ClaimedJob): Promise<boolean> {
    const def = registry.get(job.kind);
    const finish = (q: Queryable) =>
      def?.everyMs !== undefined
        ? q.query("UPDATE jobs SET state = 'pending', attempts = 0, locked_until = NULL, last_error = NULL, run_at = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1", [
            job.id,
            def.everyMs,
          ])
        : q.query(prepared("DELETE FROM jobs WHERE id = $1"), [job.id]);
    heldJobs.add(job.id);
    try {
      if (!def) {
        await db.query(
          `UPDATE jobs SET state = 'pending', attempts = attempts - 1, locked_until = NULL, last_error = $2,
             run_at = now() + make_interval(secs => $3) WHERE id = $1`,
          [job.id, `no handler for job kind "${job.kind}" in this process`, UNKNOWN_KIND_DELAY_SECONDS],
        );
        return false;
      }
      const parsed = def.payload.safeParse(job.payload);
      if (!parsed.success) {
        // A payload that does not match its kind's schema will not match on a retry either.
        await markFailed(job, new Error(`invalid payload: ${parsed.error.message}`), true);
        return false;
      }
      if (lostOnLastAttempt(job)) {
        await db.transaction(async (tx) => {
          await def.abandoned?.(parsed.data, context(job, tx));
          await markFailed(job, new Error(`its worker stopped during its last attempt (${job.max_attempts}); not run again`), true, tx);
        });
        return false;
      }
      if (def.outsideTransaction) {
        await def.run(parsed.data, context(job, db));
        await finish(db);
      } else {
        await db.transaction(async (tx) => {
          await def.run(parsed.data, context(job, tx));
          await finish(tx);
        });
      }
      return true;
    } catch (err) {
      await markFailed(job, err, false).catch((e: unknown) => log.error({ err: e, jobId: job.id }, "could not record a job failure; its lease will run out"));
      return false;
    } finally {
      heldJobs.delete(job.id);
    }
  }

  const context = (job: ClaimedJob, tx: Queryable): JobContext => ({
    tx,
    db,
    jobId: job.id,
    attempt: job.attempts,
    lastAttempt: job.attempts >= job.max_attempts,
    log: log.child({ jobId: job.id, kind: job.kind }),
  });

  /**
   * Claiming counts an attempt, and only a run that fails or a worker that stops leaves it counted:
   * past the last attempt, the job's worker stopped while it was claimed.
   */
  const lostOnLastAttempt = (job: ClaimedJob) => job.attempts > job.max_attempts;

  /**
   * Jobs that can share a transaction: known, transactional, not periodic, with a valid payload,
   * and on their first attempt — a retry runs alone, so that a job whose run fails (or ends the
   * process) takes no other job's attempts with it.
   */
  const batchable = (job: ClaimedJob) => {
    const def = registry.get(job.kind);
    return job.attempts === 1 && !!def && !def.outsideTransaction && def.everyMs === undefined && def.payload.safeParse(job.payload).success;
  };

  /**
   * Runs consecutive jobs of one key in one transaction, each under a savepoint: the successes
   * and their removal commit together; the first failure is rolled back to its savepoint,
   * recorded, and ends the run (the key's later jobs wait for its retry).
   */
  async function runTogether(jobs: ClaimedJob[]): Promise<{ ran: number; failed: boolean }> {
    const done: number[] = [];
    let failure: { job: ClaimedJob; err: unknown } | undefined;
    for (const j of jobs) heldJobs.add(j.id);
    try {
      await db.transaction(async (tx) => {
        for (const job of jobs) {
          const def = registry.get(job.kind)!;
          await tx.query("SAVEPOINT job");
          try {
            await def.run(def.payload.parse(job.payload), context(job, tx));
            await tx.query("RELEASE SAVEPOINT job");
            done.push(job.id);
          } catch (err) {
            await tx.query("ROLLBACK TO SAVEPOINT job");
            failure = { job, err };
            break;
          }
        }
        if (done.length) await tx.query(prepared("DELETE FROM jobs WHERE id = ANY($1::bigint[])"), [done]);
      });
    } catch (err) {
      // The transaction itself failed (commit, connection): none of the batch happened.
      failure = { job: jobs[0]!, err };
      done.length = 0;
    } finally {
      for (const j of jobs) heldJobs.delete(j.id);
    }
    if (failure) await markFailed(failure.job, failure.err, false).catch((e: unknown) => log.error({ err: e, jobId: failure!.job.id }, "could not record a job failure; its lease will run out"));
    return { ran: done.length, failed: !!failure };
  }

  async function markFailed(job: ClaimedJob, err: unknown, permanent: boolean, q: Queryable = db) {
    const dead = permanent || job.attempts >= job.max_attempts;
    log.warn({ err, jobId: job.id, kind: job.kind, attempt: job.attempts, dead }, "job failed");
    await q.query(
      `UPDATE jobs SET state = $2, locked_until = NULL, last_error = $3, dead_at = CASE WHEN $2 = 'dead' THEN now() END,
         run_at = now() + make_interval(secs => $4::double precision / 1000)
       WHERE id = $1`,
      [job.id, dead ? "dead" : "pending", String((err as Error)?.stack ?? err).slice(0, 4000), backoffMs(job.attempts)],
    );
  }

  /**
   * Gives keys back in one statement: their claimed jobs that did not run return to pending (the
   * attempt not counted), and each key's next_run_at becomes the run_at of its first job. An
   * enqueue that raced with this (the key's version moved since the snapshot) can only have lowered
   * next_run_at, so the lower of the two is kept and the key is looked at again soon. Keys are
   * locked in key order, as enqueues and the lease renewal lock them.
   */
  async function releaseKeys(keys: string[], unrun: number[]) {
    await db.query(
      prepared(`WITH back AS (
         UPDATE jobs SET state = 'pending', attempts = attempts - 1, locked_until = NULL WHERE id = ANY($2::bigint[]) AND state = 'running'
       ), nxt AS (
         SELECT k.key, k.version AS seen,
                (SELECT run_at FROM jobs WHERE ordering_key = k.key AND state <> 'dead' AND NOT (id = ANY($2::bigint[]))
                 ORDER BY ordered_at, id LIMIT 1) AS head,
                (SELECT min(run_at) FROM jobs WHERE ordering_key = k.key AND id = ANY($2::bigint[])) AS unrun_at
         FROM job_keys k WHERE k.key = ANY($1::text[])
       )
       UPDATE job_keys k SET locked_until = NULL,
         next_run_at = CASE WHEN k.version = nxt.seen THEN least(nxt.head, nxt.unrun_at)
                            ELSE least(k.next_run_at, nxt.head, nxt.unrun_at) END
       FROM nxt
       WHERE k.key = nxt.key AND k.key IN (SELECT key FROM job_keys WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE)`),
      [keys, unrun],
    );
  }

  /**
   * Releases keys, retrying a failure (a lost connection, a pool that had no connection in time) a
   * few times while their leases are still renewed: a key not given back waits for its lease to
   * run out, and with it its LINE user's next messages.
   */
  async function giveBack(keys: string[], unrun: number[]) {
    if (!keys.length) return;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await releaseKeys(keys, unrun);
          return;
        } catch (err) {
          if (attempt === 3) {
            log.error({ err, keys: keys.length }, "releasing job keys failed; they wait for their lease to run out");
            return;
          }
          log.warn({ err, keys: keys.length, attempt }, "releasing job keys failed; retrying");
          await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
        }
      }
    } finally {
      for (const key of keys) heldKeys.delete(key);
    }
  }

  /** Runs the first `max` of one claimed key's jobs in order, then gives the key back with what did not run. */
  async function runKey(key: string, mine: ClaimedJob[], max = mine.length) {
    let i = 0;
    try {
      while (i < max && !stopped) {
        let n = 0;
        while (i + n < max && n < jobsPerTransaction && batchable(mine[i + n]!)) n++;
        if (n > 1) {
          const { ran, failed } = await runTogether(mine.slice(i, i + n));
          i += ran + (failed ? 1 : 0);
          if (failed) break;
        } else {
          const ok = await runJob(mine[i]!);
          i++;
          if (!ok) break;
        }
      }
    } finally {
      await giveBack(
        [key],
        mine.slice(i).map((j) => j.id),
      );
    }
  }

  const waitsOnNetwork = (job: ClaimedJob) => !!registry.get(job.kind)?.outsideTransaction;

  /**
   * Work that waits on the network runs in the network lane, not awaited by the loop, while the
   * lane has room (a full lane makes the loop run it itself: back-pressure). The key stays
   * claimed (and its lease renewed) until its task ends, so its order holds.
   */
  function offload(task: () => Promise<void>): boolean {
    if (networkTasks.size >= networkConcurrency) return false;
    const running: Promise<void> = task()
      .catch((err: unknown) => log.error({ err }, "job worker error"))
      .finally(() => {
        networkTasks.delete(running);
        // What the task gave back (a key's later jobs) can be claimed now.
        wakeOne();
      });
    networkTasks.add(running);
    return true;
  }

  /**
   * Runs the claimed keys' leading jobs of set-based kinds, many keys per transaction, and
   * returns how many of each key's jobs ran, and the keys whose kind said their next job must run
   * alone. A transaction that fails leaves every key as it stands, and `runKey` runs the rest one
   * by one (attempts unchanged: nothing happened).
   */
  async function runSetBased(byKey: Map<string, ClaimedJob[]>): Promise<{ done: Map<string, number>; alone: Set<string> }> {
    const done = new Map<string, number>([...byKey.keys()].map((k) => [k, 0]));
    const alone = new Set<string>();
    const open = new Set(byKey.keys());
    while (open.size && !stopped) {
      // Each key's next jobs while they are of one set-based kind, up to the transaction's size.
      let def: AnyJobDefinition | undefined;
      const offered = new Map<string, ClaimedJob[]>();
      let room = jobsPerSetBasedTransaction;
      for (const key of open) {
        const mine = byKey.get(key)!;
        const from = done.get(key)!;
        let n = 0;
        let otherKind = false;
        while (from + n < mine.length && n < room && batchable(mine[from + n]!)) {
          const d = registry.get(mine[from + n]!.kind)!;
          // Another set-based kind waits for a later round of its own.
          otherKind = !!d.runMany && !!def && d !== def;
          if (!d.runMany || otherKind) break;
          def = d;
          n++;
        }
        if (n > 0) offered.set(key, mine.slice(from, from + n));
        else if (!otherKind) open.delete(key);
        room -= n;
        if (room === 0) break;
      }
      if (!def || !offered.size) break;
      const ran = await runMany(def, offered);
      if (!ran) break;
      for (const [key, jobs] of offered) {
        const n = ran.get(key)!;
        done.set(key, done.get(key)! + n);
        // The kind stopped before this key's next job: it must run alone.
        if (n < jobs.length) {
          open.delete(key);
          alone.add(key);
        }
      }
    }
    return { done, alone };
  }

  /** One set-based transaction; undefined when it failed (all of it was rolled back). */
  async function runMany(def: AnyJobDefinition, offered: Map<string, ClaimedJob[]>): Promise<Map<string, number> | undefined> {
    const jobs = [...offered.values()].flat();
    for (const j of jobs) heldJobs.add(j.id);
    try {
      return await db.transaction(async (tx) => {
        const ids = await def.runMany!(
          jobs.map((j) => ({ id: j.id, key: j.ordering_key!, payload: def.payload.parse(j.payload), attempt: j.attempts })),
          { tx, log },
        );
        const ran = new Map<string, number>();
        const prefixes: number[] = [];
        for (const [key, mine] of offered) {
          const n = mine.findIndex((j) => !ids.has(j.id));
          const prefix = mine.slice(0, n < 0 ? mine.length : n);
          ran.set(key, prefix.length);
          prefixes.push(...prefix.map((j) => j.id));
        }
        // Anything else would run a key's job before an earlier one (a bug in the kind): undone.
        if (prefixes.length !== ids.size) throw new Error(`${def.kind}: runMany ran jobs that are not a prefix of their key's`);
        if (prefixes.length) await tx.query(prepared("DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)"), [prefixes]);
        return ran;
      });
    } catch (err) {
      log.warn({ err, kind: def.kind, jobs: jobs.length }, "set-based run failed; its jobs run one by one");
      return undefined;
    } finally {
      for (const j of jobs) heldJobs.delete(j.id);
    }
  }

  async function runKeyed(keys: { key: string }[], jobs: ClaimedJob[]) {
    const byKey = new Map(keys.map(({ key }) => [key, jobs.filter((j) => j.ordering_key === key)]));
    for (const key of byKey.keys()) heldKeys.add(key);
    // Whatever goes wrong, every claimed key is given back: one left claimed would hold its LINE
    // user's messages until its lease ran out.
    const unreleased = new Set(byKey.keys());
    try {
      const { done, alone } = await runSetBased(byKey);
      // Keys with nothing left go back at once, together, not after the other keys' one-by-one jobs.
      const finished = [...byKey].filter(([key, all]) => done.get(key) === all.length).map(([key]) => key);
      // While another loop has no work, the keys this one would reach only after the first key's
      // one-by-one jobs go back too, unrun, and a loop is woken to take them: keys run side by side
      // instead of in a row. (When every loop is busy a claim is kept whole: handing keys back costs a claim.)
      const passOn = busyLoops < loopCount ? [...unreleased].filter((key) => !finished.includes(key)).slice(1) : [];
      for (const key of [...finished, ...passOn]) unreleased.delete(key);
      await giveBack(
        [...finished, ...passOn],
        passOn.flatMap((key) => byKey.get(key)!.slice(done.get(key)).map((j) => j.id)),
      );
      if (passOn.length) wakeOne();
      for (const [key, all] of byKey) {
        if (!unreleased.has(key)) continue;
        unreleased.delete(key);
        const mine = all.slice(done.get(key));
        // A job the set-based kind would not take runs alone, and its key goes back to the queue:
        // its later jobs may qualify again (for whichever loop claims the key next), and this
        // claim's other keys do not wait while they run one by one.
        const max = alone.has(key) ? 1 : mine.length;
        if (mine.slice(0, max).some(waitsOnNetwork) && offload(() => runKey(key, mine, max))) continue;
        await runKey(key, mine, max);
      }
    } finally {
      if (unreleased.size) {
        await giveBack(
          [...unreleased],
          jobs.filter((j) => unreleased.has(j.ordering_key!)).map((j) => j.id),
        );
      }
    }
  }

  const idleWaiters = new Set<() => void>();
  async function loop() {
    while (!stopped) {
      let worked = false;
      try {
        // The jobs fed now are claimed by this claim or, held, when they fall due.
        const { fed, nothingDue } = await feed();
        // Claiming after such a feed would find none of its jobs: with acks arriving, that was two
        // claims (and a second loop woken to claim twice more) per intake row. Other due work has
        // its own wake-up: a NOTIFY, a due time, a loop handing keys back, or the poll.
        const keyed = nothingDue ? { keys: [], jobs: [] } : await claimKeyed();
        // The claimed keys run (and go back) even when this claim fails.
        const unkeyedLimit = keyed.jobs.length ? 2 : 8;
        const unkeyed = nothingDue
          ? []
          : await claimUnkeyed(unkeyedLimit).catch((err: unknown) => {
              log.warn({ err }, "claiming unkeyed jobs failed");
              return [];
            });
        // After a feed that left more rows, this loop feeds again at once.
        if (nothingDue && feedWanted) continue;
        // More may be due now only when a claim was full or a feed made due jobs: then another loop
        // looks at once, and this one again after its run. A claim that took fewer than it could took
        // all that was due; what falls due later has its own wake-up (its due step, a NOTIFY, a key
        // handed back, the poll). Chasing it at once made, under a steady stream of acks, passes of
        // a few events each — a dozen statements per pass (docs/decisions.md).
        worked = keyed.keys.length >= keysPerClaim || unkeyed.length >= unkeyedLimit || (fed && !nothingDue);
        if (worked) wakeOne();
        busyLoops++;
        try {
          for (const job of unkeyed) {
            if (waitsOnNetwork(job) && offload(async () => void (await runJob(job)))) continue;
            await runJob(job);
          }
          await runKeyed(keyed.keys, keyed.jobs);
        } finally {
          busyLoops--;
        }
      } catch (err) {
        if (!stopped) log.error({ err }, "job worker error");
      }
      if (!worked && !stopped) {
        [...idleWaiters].forEach((r) => r());
        await sleep(pollMs);
      }
    }
  }

  /** Puts back what crashed workers held, forgets keys without work, and drops old dead jobs. */
  async function maintain() {
    await db.query(
      `WITH lost AS (
         UPDATE jobs SET state = 'pending', locked_until = NULL
         WHERE state = 'running' AND ordering_key IS NULL AND locked_until < now()
       ), old AS (
         DELETE FROM jobs WHERE state = 'dead' AND dead_at < now() - make_interval(days => $1)
       )
       -- SKIP LOCKED: a key an enqueue is upserting is not empty for long, and waiting for it deadlocked with that
       -- enqueue (which waited for a key deleted here) and failed a webhook.
       DELETE FROM job_keys k WHERE k.key IN (
           SELECT key FROM job_keys WHERE next_run_at IS NULL AND (locked_until IS NULL OR locked_until < now()) FOR UPDATE SKIP LOCKED)
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.ordering_key = k.key AND j.state <> 'dead')`,
      [DEAD_KEPT_DAYS],
    );
  }
  const maintenance = setInterval(() => {
    maintain().catch((err: unknown) => log.warn({ err }, "job queue maintenance failed"));
  }, opts.maintenanceMs ?? 15_000);
  maintenance.unref();

  for (const def of registry.periodic()) await schedulePeriodic(db, def);
  // After a lost LISTEN connection notifications may have been missed: every loop looks.
  const unlisten = await db.listen(JOBS_CHANNEL, onNotification, wakeAll);
  const loops = Array.from({ length: loopCount }, loop);

  return {
    async drain() {
      for (;;) {
        // The intakes first: a row fed after this look is among the jobs counted next.
        const waiting = (await Promise.all(feeders.map((f) => f.waiting(db)))).some(Boolean);
        const [row] = await db.query<{ n: number }>(
          "SELECT count(*) AS n FROM jobs WHERE kind = ANY($1::text[]) AND (state = 'running' OR (state = 'pending' AND run_at <= now()))",
          [kinds],
        );
        if (row!.n === 0 && !waiting) return;
        if (stopped) return;
        if (waiting) {
          feedWanted = true;
          wakeOne();
        }
        // Look again when a loop runs out of work, or soon in any case (work held by another instance).
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            idleWaiters.delete(done);
            resolve();
          };
          const t = setTimeout(done, 100);
          idleWaiters.add(done);
        });
      }
    },
    async stop() {
      stopped = true;
      detachFeeders.forEach((detach) => detach());
      clearInterval(maintenance);
      wakeAll();
      // Leases are renewed until the running jobs finish: a slow one must not be taken over meanwhile.
      await Promise.all(loops);
      await Promise.all([...networkTasks]);
      clearInterval(heartbeat);
      if (dueTimer) clearTimeout(dueTimer);
      [...idleWaiters].forEach((r) => r());
      await unlisten();
    },
  };
}
