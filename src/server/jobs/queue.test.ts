import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openTestDatabase } from "../../../test/support/fresh-database.ts";
import { waitFor } from "../../../test/support/line-webhooks.ts";
import type { Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { createJobRegistry, defineJob, enqueue, enqueueFromQuery, enqueueMany, startWorker, type AnyJobDefinition, type Worker, type WorkerOptions } from "./queue.ts";

/**
 * The queue on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL), with jobs defined
 * here: order per key, parallel keys, leases that outlive a slow job, a crashed worker's work,
 * periodic singletons and what is left in the table afterwards.
 */
const log = pino({ level: "silent" });
let db: Database;
let dispose: () => Promise<void>;
const workers: Worker[] = [];

beforeAll(async () => {
  ({ db, dispose } = await openTestDatabase("tsunagu_queue"));
  await migrate(db);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});
afterAll(async () => {
  await dispose?.();
});

async function worker(defs: AnyJobDefinition[], opts: Partial<Omit<WorkerOptions, "db" | "log" | "registry">> = {}) {
  const w = await startWorker({ db, log, registry: createJobRegistry(defs), ...opts });
  workers.push(w);
  return w;
}
const jobCount = async (kind: string) => (await db.query<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE kind = $1", [kind]))[0]!.n;

describe("job queue", () => {
  it("refuses a job kind defined twice", () => {
    const def = defineJob({ kind: "test.twice", payload: z.object({}), run: async () => undefined });
    expect(() => createJobRegistry([def, { ...def }])).toThrow('job kind "test.twice" is defined twice');
  });

  it("refuses a payload that does not match the kind's schema when enqueued, and enqueues nothing", async () => {
    const def = defineJob({ kind: "test.schema", payload: z.object({ n: z.number().int() }), run: async () => undefined });
    await expect(db.transaction((tx) => enqueue(tx, def, { n: 1.5 }))).rejects.toThrow();
    expect(await jobCount("test.schema")).toBe(0);
  });

  it("runs one key's jobs in (orderedAt, id) order and different keys side by side, then leaves no rows", async () => {
    const ran: { key: string; n: number }[] = [];
    const started = new Set<string>();
    const parallel = db.kind === "postgres";
    let firstOfA = 0;
    const def = defineJob({
      kind: "test.ordered",
      payload: z.object({ key: z.string(), n: z.number() }),
      async run(p) {
        started.add(p.key);
        // On PostgreSQL key a's first job waits until another key has started: it proves keys run side by side
        // (one attempt: a wait that timed out would fail it and a retry would pass).
        if (parallel && p.key === "a" && p.n === 1) {
          firstOfA++;
          await waitFor(async () => started.size > 1, 10_000, "another key to start meanwhile");
        }
        ran.push(p);
      },
    });
    const keys = ["a", "b", "c", "d"];
    const t = Date.now();
    // Enqueued newest first: order must come from orderedAt, not insertion.
    await db.transaction((tx) =>
      enqueueMany(
        tx,
        def,
        keys.flatMap((key) => [5, 4, 3, 2, 1].map((n) => ({ payload: { key, n }, orderingKey: `k:${key}`, orderedAt: new Date(t + n) }))),
      ),
    );
    const w = await worker([def], { concurrency: parallel ? 4 : 1 });
    await w.drain();
    for (const key of keys) expect(ran.filter((r) => r.key === key).map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    expect(ran).toHaveLength(20);
    if (parallel) expect(firstOfA).toBe(1);
    expect(await jobCount("test.ordered")).toBe(0);
  });

  it("wakes at the announced due time for every enqueue that falls due then, though only the first is announced", async () => {
    const ran: number[] = [];
    const def = defineJob({
      kind: "test.due",
      payload: z.object({ n: z.number() }),
      async run(p) {
        ran.push(p.n);
      },
    });
    // An hour's poll: only the NOTIFY's due time can wake the worker.
    await worker([def], { pollMs: 3_600_000 });
    // Held like a webhook's events: due together, enqueued one statement after another (one ack each).
    const runAt = new Date(Date.now() + 300);
    for (const n of [1, 2, 3]) {
      await enqueueFromQuery(db, def, {
        sql: "SELECT jsonb_build_object('n', $1::int) AS payload, 'due:' || $1 AS ordering_key, NULL::timestamptz AS ordered_at, $2::timestamptz AS run_at, 0 AS part",
        params: [n, runAt],
      });
    }
    await waitFor(async () => ran.length === 3, 15_000, "the three jobs to run at their due time");
    expect(ran.sort()).toEqual([1, 2, 3]);
  });

  it("feeds an intake's held rows when told they arrived, and runs each job when it falls due, not before, though one feed made them all", async () => {
    const ran: { n: number; at: number }[] = [];
    const def = defineJob({
      kind: "test.fed",
      payload: z.object({ n: z.number() }),
      async run(p) {
        ran.push({ n: p.n, at: Date.now() });
      },
    });
    // An intake kept in memory here; the worker's loops, the statement and the wake-ups are the real ones.
    const intake: number[] = [];
    const wakes: (() => void)[] = [];
    const runAt = new Date(Date.now() + 1_000);
    await worker([def], {
      // An hour's poll: only the arrival and then the feed's announced due time can wake the worker.
      pollMs: 3_600_000,
      feeders: [
        {
          async feed(worker) {
            const rows = intake.splice(0);
            if (!rows.length) return { taken: 0, more: false, firstDue: null };
            const { firstDue } = await enqueueFromQuery(worker, def, {
              // Due 100 ms apart, as the acks of a gathering are: each falls due in a step of its own.
              sql: `SELECT jsonb_build_object('n', n) AS payload, 'fed:' || n AS ordering_key, NULL::timestamptz AS ordered_at,
                           $2::timestamptz + (n - 1) * interval '100 milliseconds' AS run_at, 0 AS part
                    FROM unnest($1::int[]) AS x(n)`,
              params: [rows, runAt],
            });
            return { taken: rows.length, more: false, firstDue };
          },
          waiting: async () => intake.length > 0,
          onArrival(wake) {
            wakes.push(wake);
            return () => void wakes.splice(wakes.indexOf(wake), 1);
          },
        },
      ],
    });
    intake.push(1, 2, 3);
    wakes.forEach((wake) => wake());
    await waitFor(async () => (await jobCount("test.fed")) === 3, 15_000, "the three rows to be fed");
    await waitFor(async () => ran.length === 3, 15_000, "the three jobs to run at their due time");
    expect(ran.map((r) => r.n).sort()).toEqual([1, 2, 3]);
    // The database's clock decides due; both clocks are this machine's.
    for (const r of ran) expect(r.at).toBeGreaterThanOrEqual(runAt.getTime() + (r.n - 1) * 100 - 50);
  });

  it("holds a key's later jobs while an earlier one waits for its retry, and parks it after the last attempt", async () => {
    const ran: number[] = [];
    const def = defineJob({
      kind: "test.retry",
      payload: z.object({ n: z.number() }),
      maxAttempts: 2,
      async run({ n }) {
        ran.push(n);
        if (n === 1) throw new Error("first job fails");
      },
    });
    const t = Date.now();
    await db.transaction((tx) =>
      enqueueMany(tx, def, [1, 2].map((n) => ({ payload: { n }, orderingKey: "retry", orderedAt: new Date(t + n) }))),
    );
    await worker([def], { pollMs: 50 });
    await waitFor(async () => ran.includes(2), 20_000, "the second job after the first one's retries");
    // Attempt 1 of job 1, its retry (attempt 2, last), and only then job 2.
    expect(ran).toEqual([1, 1, 2]);
    const [dead] = await db.query<{ state: string; attempts: number; last_error: string }>("SELECT state, attempts, last_error FROM jobs WHERE kind = 'test.retry'");
    expect(dead).toMatchObject({ state: "dead", attempts: 2 });
    expect(dead!.last_error).toContain("first job fails");
  });

  it("polls as one loop when idle, however many loops it runs, and the poll still finds work nothing announced", async () => {
    const ran: number[] = [];
    const def = defineJob({
      kind: "test.poll",
      payload: z.object({ n: z.number() }),
      async run({ n }) {
        ran.push(n);
      },
    });
    let claims = 0;
    const counted: Database = {
      ...db,
      query: (sql, params) => {
        if (sql.includes("UPDATE job_keys SET locked_until")) claims++;
        return db.query(sql, params);
      },
    };
    const w = await startWorker({ db: counted, log, registry: createJobRegistry([def]), concurrency: 4, pollMs: 100 });
    workers.push(w);
    await w.drain();
    claims = 0;
    const started = Date.now();
    await waitFor(async () => Date.now() - started >= 2_000, 10_000, "two idle seconds");
    const polls = (Date.now() - started) / 100;
    // One claim per poll (and a few for the timer's slack), where four loops made four.
    expect(claims).toBeGreaterThanOrEqual(3);
    expect(claims).toBeLessThanOrEqual(polls + 3);
    // Enqueued without its NOTIFY: only a poll can find it.
    await db.transaction((tx) => enqueue({ query: (sql, params) => tx.query(sql, params), exec: (sql) => tx.exec(sql), notify: async () => undefined }, def, { n: 1 }));
    await waitFor(async () => ran.includes(1), 10_000, "the job the poll found");
  });

  it("commits the jobs before a failing one in the same batch, and runs none of them twice", async () => {
    const ran: number[] = [];
    let failures = 0;
    const def = defineJob({
      kind: "test.batch",
      payload: z.object({ n: z.number() }),
      async run({ n }, { tx }) {
        await tx.query("SELECT 1");
        ran.push(n);
        if (n === 2 && failures++ === 0) throw new Error("second job fails once");
      },
    });
    const t = Date.now();
    await db.transaction((tx) => enqueueMany(tx, def, [1, 2, 3].map((n) => ({ payload: { n }, orderingKey: "batch", orderedAt: new Date(t + n) }))));
    await worker([def], { pollMs: 50 });
    await waitFor(async () => ran.includes(3), 20_000, "the third job");
    expect(ran).toEqual([1, 2, 2, 3]);
    expect(await jobCount("test.batch")).toBe(0);
  });

  it("runs a set-based kind for many keys in one transaction while their jobs qualify; a job it refuses runs alone and the jobs after it qualify again, each key in order", async () => {
    const ran: { key: string; n: number; how: "many" | "one" }[] = [];
    let transactions = 0;
    const Payload = z.object({ key: z.string(), n: z.number(), fast: z.boolean() });
    const def = defineJob({
      kind: "test.many",
      payload: Payload,
      async run(p) {
        ran.push({ key: p.key, n: p.n, how: "one" });
      },
      async runMany(jobs, { tx }) {
        transactions++;
        await tx.query("SELECT 1");
        const done = new Set<number>();
        const stopped = new Set<string>();
        for (const j of jobs) {
          if (stopped.has(j.key) || !j.payload.fast) {
            stopped.add(j.key);
            continue;
          }
          done.add(j.id);
          ran.push({ key: j.payload.key, n: j.payload.n, how: "many" });
        }
        return done;
      },
    });
    // a: fast, fast, slow, fast — b: fast, fast — c: slow, fast.
    const plan: Record<string, boolean[]> = { a: [true, true, false, true], b: [true, true], c: [false, true] };
    const t = Date.now();
    await db.transaction((tx) =>
      enqueueMany(
        tx,
        def,
        Object.entries(plan).flatMap(([key, fast]) => fast.map((f, i) => ({ payload: { key, n: i + 1, fast: f }, orderingKey: `m:${key}`, orderedAt: new Date(t + i) }))),
      ),
    );
    const w = await worker([def], { concurrency: 1 });
    await w.drain();
    for (const [key, fast] of Object.entries(plan)) expect(ran.filter((r) => r.key === key).map((r) => r.n)).toEqual(fast.map((_, i) => i + 1));
    // A job the kind refused runs alone; the key then goes back to the queue, and its next job,
    // claimed again after that one committed, is offered to the kind again.
    expect(ran.filter((r) => r.how === "many").map((r) => `${r.key}${r.n}`).sort()).toEqual(["a1", "a2", "a4", "b1", "b2", "c2"]);
    expect(ran.filter((r) => r.how === "one").map((r) => `${r.key}${r.n}`).sort()).toEqual(["a3", "c1"]);
    expect(transactions).toBeGreaterThanOrEqual(2);
    expect(await jobCount("test.many")).toBe(0);
  });

  // PostgreSQL: on PGlite the lone job's open transaction holds the only connection, so nothing else could run meanwhile anyway.
  it.runIf(!!process.env.TEST_DATABASE_URL)("gives a claim's finished keys back at once, while another key's lone job still runs", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let lonelyStarted = false;
    const ran: string[] = [];
    const def = defineJob({
      kind: "test.early-release",
      payload: z.object({ id: z.string(), alone: z.boolean() }),
      async run({ id }) {
        lonelyStarted = true;
        await released;
        ran.push(id);
      },
      async runMany(jobs) {
        const done = new Set<number>();
        for (const j of jobs) {
          if (j.payload.alone) continue;
          done.add(j.id);
          ran.push(j.payload.id);
        }
        return done;
      },
    });
    const job = (id: string, alone = false) => ({ payload: { id, alone }, orderingKey: `early:${id[0]}` });
    // d is due first, so the one claim lists it before b and e.
    await db.transaction((tx) => enqueueMany(tx, def, [job("d1", true)]));
    await db.transaction((tx) => enqueueMany(tx, def, [job("b1"), job("e1")]));
    await worker([def], { concurrency: 1, pollMs: 50 });
    await waitFor(async () => lonelyStarted, 10_000, "d's lone job to start");
    expect(ran.sort()).toEqual(["b1", "e1"]);
    // b and e are free again: a second worker takes their next jobs while d1 still runs.
    await worker([def], { concurrency: 1, pollMs: 50 });
    await db.transaction((tx) => enqueueMany(tx, def, [job("b2"), job("e2")]));
    await waitFor(async () => ran.includes("b2") && ran.includes("e2"), 15_000, "b2 and e2 to run beside d1");
    expect(ran).not.toContain("d1");
    release();
    await waitFor(async () => (await jobCount("test.early-release")) === 0, 10_000, "d1 to finish");
  });

  it("rolls back a set-based transaction that fails and runs its jobs one by one, each once", async () => {
    const ran: number[] = [];
    const def = defineJob({
      kind: "test.many-fails",
      payload: z.object({ n: z.number() }),
      async run({ n }) {
        ran.push(n);
      },
      async runMany(jobs, { tx }) {
        // Written, then undone with the whole transaction: nothing of a failed batch remains.
        await tx.query("CREATE TEMP TABLE IF NOT EXISTS many_marker (n int)");
        await tx.query("INSERT INTO many_marker SELECT 1");
        throw new Error(`batch of ${jobs.length} fails`);
      },
    });
    const t = Date.now();
    await db.transaction((tx) => enqueueMany(tx, def, [1, 2, 3].map((n) => ({ payload: { n }, orderingKey: `f:${n % 2}`, orderedAt: new Date(t + n) }))));
    const w = await worker([def], { concurrency: 1 });
    await w.drain();
    expect(ran.sort()).toEqual([1, 2, 3]);
    expect(await jobCount("test.many-fails")).toBe(0);
    const [left] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'many_marker'");
    expect(left!.n).toBe(0);
  });

  it("renews the lease of a job that runs longer than the lease, so it is never run twice", async () => {
    let runs = 0;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const def = defineJob({
      kind: "test.slow",
      payload: z.object({}),
      // Like a mail job: on PGlite a transaction held this long would hold the only connection.
      outsideTransaction: true,
      async run() {
        runs++;
        await released;
      },
    });
    await db.transaction((tx) => enqueue(tx, def, {}, { orderingKey: "slow" }));
    // Two workers compete; the lease is 1 s and renewed every ~0.33 s.
    await worker([def], { leaseSeconds: 1, pollMs: 50 });
    await worker([def], { leaseSeconds: 1, pollMs: 50 });
    await waitFor(async () => runs === 1, 10_000, "the job to start");
    const lease = async () => (await db.query<{ until: Date }>("SELECT locked_until AS until FROM jobs WHERE kind = 'test.slow'"))[0]!.until.getTime();
    // Wait until the lease has been renewed past three lease lengths from the start.
    const first = await lease();
    await waitFor(async () => (await lease()) > first + 2_000, 15_000, "the lease to be renewed twice over");
    release();
    await waitFor(async () => (await jobCount("test.slow")) === 0, 10_000, "the job to finish");
    expect(runs).toBe(1);
  });

  it("never renews a key it has given back: a renewal racing a release leaves the key free", async () => {
    // A renewal that read the held keys before a release finished, and ran after it, used to lock
    // the released key for a whole lease: its next job (a LINE user's next message) waited a minute.
    // The lease here is renewed every 100 ms while hundreds of keys are claimed and given back.
    const def = defineJob({ kind: "test.released", payload: z.object({}), outsideTransaction: true, run: async () => undefined });
    await worker([def], { leaseSeconds: 0.3, pollMs: 20, keysPerClaim: 1, maintenanceMs: 3_600_000 });
    for (let round = 0; round < 20; round++) {
      await db.transaction((tx) => enqueueMany(tx, def, Array.from({ length: 50 }, (_, i) => ({ payload: {}, orderingKey: `released:${i}` }))));
      await waitFor(async () => (await jobCount("test.released")) === 0, 60_000, "the round's jobs to run");
    }
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    const held = await db.query<{ key: string }>("SELECT key FROM job_keys WHERE key LIKE 'released:%' AND locked_until IS NOT NULL");
    expect(held).toEqual([]);
  });

  it("runs again what a crashed worker held once its lease runs out", async () => {
    const ran: string[] = [];
    const def = defineJob({ kind: "test.crashed", payload: z.object({ id: z.string() }), run: async ({ id }) => void ran.push(id) });
    await db.transaction((tx) =>
      enqueueMany(tx, def, [
        { payload: { id: "keyed" }, orderingKey: "crashed" },
        { payload: { id: "free" } },
      ]),
    );
    // A worker that claimed both and died: running, leases expired, the key still marked held.
    await db.query("UPDATE jobs SET state = 'running', attempts = 1, locked_until = now() - interval '1 second' WHERE kind = 'test.crashed'");
    await db.query("UPDATE job_keys SET locked_until = now() - interval '1 second' WHERE key = 'crashed'");
    // Keyed jobs come back with their key; unkeyed ones through the maintenance pass.
    await worker([def], { pollMs: 50, maintenanceMs: 100 });
    await waitFor(async () => ran.length === 2, 10_000, "both jobs to run again");
    expect(ran.sort()).toEqual(["free", "keyed"]);
    expect(await jobCount("test.crashed")).toBe(0);
  });

  it("claims a job claimed before without the jobs behind it on its key: a crash during its run costs them no attempt", async () => {
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const retryStarted = new Promise<void>((resolve) => (started = resolve));
    const def = defineJob({
      kind: "test.retry-alone",
      payload: z.object({ id: z.string() }),
      // Outside a transaction, so that the test can read the jobs while the first one runs (PGlite has one connection).
      outsideTransaction: true,
      async run({ id }) {
        if (id === "retry") {
          started();
          await gate;
        }
        ran.push(id);
      },
    });
    const t = Date.now();
    await db.transaction((tx) =>
      enqueueMany(tx, def, [
        { payload: { id: "retry" }, orderingKey: "retry-alone", orderedAt: new Date(t) },
        { payload: { id: "second" }, orderingKey: "retry-alone", orderedAt: new Date(t + 1) },
        { payload: { id: "third" }, orderingKey: "retry-alone", orderedAt: new Date(t + 2) },
      ]),
    );
    // The first was running on a worker that died: its lease and its key's have run out.
    await db.query("UPDATE jobs SET state = 'running', attempts = 1, locked_until = now() - interval '1 second' WHERE kind = 'test.retry-alone' AND payload->>'id' = 'retry'");
    await db.query("UPDATE job_keys SET locked_until = now() - interval '1 second' WHERE key = 'retry-alone'");
    await worker([def], { pollMs: 50 });
    try {
      await retryStarted;
      // While it runs (and could end the process again), the jobs behind it are neither claimed nor charged.
      const behind = await db.query<{ id: string; state: string; attempts: number }>(
        "SELECT payload->>'id' AS id, state, attempts FROM jobs WHERE kind = 'test.retry-alone' AND payload->>'id' <> 'retry' ORDER BY 1",
      );
      expect(behind).toEqual([
        { id: "second", state: "pending", attempts: 0 },
        { id: "third", state: "pending", attempts: 0 },
      ]);
    } finally {
      release();
    }
    await waitFor(async () => ran.length === 3, 10_000, "the key's three jobs");
    expect(ran).toEqual(["retry", "second", "third"]);
    expect(await jobCount("test.retry-alone")).toBe(0);
  });

  it("does not run again a job whose worker stopped during its last attempt: its kind records that, the job is dead, and the key goes on", async () => {
    const ran: string[] = [];
    const abandoned: string[] = [];
    const def = defineJob({
      kind: "test.poison",
      payload: z.object({ id: z.string() }),
      maxAttempts: 3,
      run: async ({ id }) => void ran.push(id),
      async abandoned({ id }, { tx, attempt, lastAttempt }) {
        // Inside the transaction that marks the job dead.
        const [row] = await tx.query<{ state: string }>("SELECT state FROM jobs WHERE kind = 'test.poison' AND payload->>'id' = $1", [id]);
        abandoned.push(`${id}@${attempt}:${row!.state}:${lastAttempt}`);
      },
    });
    const t = Date.now();
    await db.transaction((tx) =>
      enqueueMany(tx, def, [
        { payload: { id: "keyed" }, orderingKey: "poison", orderedAt: new Date(t) },
        { payload: { id: "after" }, orderingKey: "poison", orderedAt: new Date(t + 1) },
        { payload: { id: "free" } },
      ]),
    );
    // A worker that had claimed two of them for their third and last attempt, and died.
    await db.query(
      "UPDATE jobs SET state = 'running', attempts = 3, locked_until = now() - interval '1 second' WHERE kind = 'test.poison' AND payload->>'id' <> 'after'",
    );
    await db.query("UPDATE job_keys SET locked_until = now() - interval '1 second' WHERE key = 'poison'");
    await worker([def], { pollMs: 50, maintenanceMs: 100 });
    // The hook runs before its transaction commits: wait for what committed.
    const dead = async () => (await db.query<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE kind = 'test.poison' AND state = 'dead'"))[0]!.n;
    await waitFor(async () => ran.includes("after") && (await dead()) === 2, 10_000, "the key's next job, and both lost jobs given up");
    expect(ran).toEqual(["after"]);
    expect(abandoned.sort()).toEqual(["free@4:running:true", "keyed@4:running:true"]);
    const rows = await db.query<{ id: string; state: string; last_error: string }>(
      "SELECT payload->>'id' AS id, state, last_error FROM jobs WHERE kind = 'test.poison' ORDER BY 1",
    );
    expect(rows.map((r) => [r.id, r.state])).toEqual([
      ["free", "dead"],
      ["keyed", "dead"],
    ]);
    for (const r of rows) expect(r.last_error).toContain("stopped during its last attempt");
  });

  it("keeps one copy of a periodic job across workers, and schedules its next run after each run", async () => {
    let runs = 0;
    const def = defineJob({ kind: "test.periodic", payload: z.object({}), everyMs: 3_600_000, run: async () => void runs++ });
    const a = await worker([def]);
    const b = await worker([def]);
    await waitFor(async () => runs >= 1, 10_000, "the periodic job to run");
    await a.drain();
    await b.drain();
    expect(runs).toBe(1);
    const rows = await db.query<{ state: string; in_future: boolean }>("SELECT state, run_at > now() + interval '50 minutes' AS in_future FROM jobs WHERE kind = 'test.periodic'");
    expect(rows).toEqual([{ state: "pending", in_future: true }]);
  });
});
