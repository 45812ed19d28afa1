import type { Logger } from "pino";

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
    async closeAll(): Promise<void> {
      for (const { name, close } of owned.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), perResourceTimeoutMs);
        });
        try {
          const outcome = await Promise.race([close().then(() => "closed" as const), timeout]);
          if (outcome === "timeout") log.warn({ resource: name, timeoutMs: perResourceTimeoutMs }, "resource did not close in time; moving on");
        } catch (err) {
          log.warn({ err, resource: name }, "closing a resource failed");
        } finally {
          clearTimeout(timer);
        }
      }
    },
  };
}
