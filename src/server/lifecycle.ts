import type { Logger } from "pino";

const MIN_CLOSE_MS = 1_000;

/**
 * What the server owns and must give back on shutdown (database, listeners, workers, sockets),
 * closed in the reverse order of opening. Each close gets a bounded time and a failure is
 * logged, so one stuck or failing resource neither hangs shutdown nor skips the ones after it.
 */
export function createLifecycle(log: Logger, perResourceTimeoutMs = 10_000) {
  const owned: { name: string; close: () => Promise<void> }[] = [];
  return {
    own<T>(name: string, resource: T, close: (r: T) => Promise<void>): T {
      owned.push({ name, close: () => close(resource) });
      return resource;
    },
    /**
     * With a budget, the whole close keeps to it: each resource gets what is left of it, but at
     * least MIN_CLOSE_MS, so the ones closed last (the database) are still closed properly.
     */
    async closeAll(budgetMs?: number): Promise<void> {
      const until = budgetMs === undefined ? Infinity : Date.now() + budgetMs;
      for (const { name, close } of owned.splice(0).reverse()) {
        const timeoutMs = Math.max(MIN_CLOSE_MS, Math.min(perResourceTimeoutMs, until - Date.now()));
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), timeoutMs);
        });
        try {
          const outcome = await Promise.race([close().then(() => "closed" as const), timeout]);
          if (outcome === "timeout") log.warn({ resource: name, timeoutMs }, "resource did not close in time; moving on");
        } catch (err) {
          log.warn({ err, resource: name }, "closing a resource failed");
        } finally {
          clearTimeout(timer);
        }
      }
    },
  };
}
