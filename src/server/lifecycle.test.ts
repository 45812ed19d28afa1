import pino from "pino";
import { describe, expect, it } from "vitest";
import { createLifecycle } from "./lifecycle.ts";

describe("lifecycle", () => {
  it("keeps a shutdown within its budget when a resource hangs, and still closes the ones after it, in reverse order", async () => {
    const lifecycle = createLifecycle(pino({ level: "silent" }), 10_000);
    const closed: string[] = [];
    lifecycle.own("database", "db", async () => void closed.push("database"));
    lifecycle.own("worker", "w", async () => void closed.push("worker"));
    lifecycle.own("stuck requests", "http", () => new Promise<void>(() => {}));
    const started = Date.now();
    await lifecycle.closeAll(1_500);
    const took = Date.now() - started;
    expect(closed).toEqual(["worker", "database"]);
    // The stuck one used the budget (not the 10 s per-resource bound); the others closed at once.
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(5_000);
  });
});
