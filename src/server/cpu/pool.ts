import os from "node:os";
import { Piscina } from "piscina";
import { Problem } from "../http/problem.ts";

/**
 * CPU-bound work (card and QR images, vCard parsing) runs on worker threads, so the event loop
 * that answers HTTP, LINE webhooks and the database never waits for it. A domain names its task
 * with `cpuTask` — a function exported by one of its own modules — and runs it with `pool.run`;
 * the pool knows no domain.
 */
export interface CpuTask<I, O> {
  module: string;
  name: string;
  /** Types only: the task's input and output. */
  readonly _types?: (input: I) => O;
}

/** `moduleUrl` is `new URL("./x.ts", import.meta.url)` of the module exporting `name`. */
export function cpuTask<M, K extends keyof M & string>(
  moduleUrl: URL,
  name: K,
): M[K] extends (input: infer I) => infer O ? CpuTask<I, Awaited<O>> : never {
  return { module: moduleUrl.href, name } as never;
}

export interface CpuPool {
  run<I, O>(task: CpuTask<I, O>, input: I): Promise<O>;
  readonly threads: number;
  close(): Promise<void>;
}

export interface CpuPoolOptions {
  /** Default: every core but one, which stays with the event loop (and PGlite); at least one. */
  threads?: number;
  /** Tasks waiting for a thread before new ones are refused with 503; default 64 per thread. */
  maxQueue?: number;
}

const ENTRY = new URL("./worker-entry.mjs", import.meta.url).href;

export function createCpuPool(opts: CpuPoolOptions = {}): CpuPool {
  const threads = opts.threads ?? Math.max(1, os.availableParallelism() - 1);
  const maxQueue = opts.maxQueue ?? threads * 64;
  const pool = new Piscina({
    filename: ENTRY,
    // Threads start with the first task, not with the server: most processes render no card
    // for a while, and an idle thread costs ~35 MB and a second of CPU at start-up.
    minThreads: 0,
    maxThreads: threads,
    maxQueue,
    // A thread loads the fonts (~23 MB) and tsx once; keep it rather than pay that again.
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  return {
    threads,
    async run<I, O>(task: CpuTask<I, O>, input: I): Promise<O> {
      if (pool.queueSize >= maxQueue) {
        throw new Problem(503, "server_busy", "Busy", "The server has too much image and import work queued; try again in a few seconds.", { retryAfter: 5 });
      }
      return (await pool.run({ module: task.module, name: task.name, input })) as O;
    },
    close: () => pool.destroy(),
  };
}
