import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { threadId } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { Problem } from "../http/problem.ts";
import { cpuTask, createCpuPool } from "./pool.ts";
import type * as Tasks from "./pool-test-tasks.ts";

const TASKS = new URL("./pool-test-tasks.ts", import.meta.url);
const WHERE = cpuTask<typeof Tasks, "whereTask">(TASKS, "whereTask");
const SPIN = cpuTask<typeof Tasks, "spinTask">(TASKS, "spinTask");
const ROOT = path.resolve(import.meta.dirname, "../../..");

const pools: ReturnType<typeof createCpuPool>[] = [];
const pool = (opts: Parameters<typeof createCpuPool>[0] = {}) => {
  const p = createCpuPool(opts);
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("CPU pool", () => {
  it("runs a TypeScript task on a worker thread under vitest", async () => {
    const result = await pool({ threads: 1 }).run(WHERE, { label: "card" });
    expect(result.label).toBe("card!");
    expect(result.threadId).not.toBe(threadId);
  });

  it("runs it under tsx too, as `npm start` does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-pool-"));
    const script = path.join(dir, "run.mjs");
    fs.writeFileSync(
      script,
      `import { cpuTask, createCpuPool } from ${JSON.stringify(new URL("./pool.ts", import.meta.url).href)};
       const pool = createCpuPool({ threads: 1 });
       const where = cpuTask(new URL(${JSON.stringify(TASKS.href)}), "whereTask");
       console.log(JSON.stringify(await pool.run(where, { label: "tsx" })));
       await pool.close();`,
    );
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], { cwd: ROOT });
      const result = JSON.parse(stdout);
      expect(result.label).toBe("tsx!");
      // Thread 0 is a process's main thread.
      expect(result.threadId).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the event loop turning while a task holds a core", async () => {
    const p = pool({ threads: 1 });
    const order: string[] = [];
    const spinning = p.run(SPIN, { ms: 400 }).then(() => order.push("task"));
    // Due at once; it fires only if this thread is free while the task spins.
    await new Promise<void>((resolve) => setTimeout(() => resolve(void order.push("timer")), 0));
    await spinning;
    expect(order).toEqual(["timer", "task"]);
  });

  it("refuses work beyond its queue with 503 server_busy instead of queueing without bound", async () => {
    const p = pool({ threads: 1, maxQueue: 1 });
    const first = p.run(SPIN, { ms: 300 });
    const second = p.run(SPIN, { ms: 1 }).catch((err: unknown) => err);
    const third = await p.run(SPIN, { ms: 1 }).catch((err: unknown) => err);
    expect(third).toBeInstanceOf(Problem);
    expect(third).toMatchObject({ status: 503, code: "server_busy", extra: { retryAfter: 5 } });
    expect(await first).toBeGreaterThan(0);
    await second;
  });

  it("reports a task's error to the caller", async () => {
    const missing = cpuTask<Record<string, (x: number) => number>, "nope">(TASKS, "nope");
    await expect(pool({ threads: 1 }).run(missing, 1)).rejects.toThrow(/exports no function nope/);
  });
});
