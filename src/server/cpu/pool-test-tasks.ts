import { threadId } from "node:worker_threads";

/** Tasks for pool.test.ts: which thread ran them, and CPU held for a while. */
export function whereTask(input: { label: string }): { label: string; threadId: number } {
  return { label: `${input.label}!`, threadId };
}

export function spinTask(input: { ms: number }): number {
  const until = performance.now() + input.ms;
  let turns = 0;
  while (performance.now() < until) turns++;
  return turns;
}
