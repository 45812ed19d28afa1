import { Writable } from "node:stream";
import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { createLogger } from "./server.ts";

/** A logger writing into a string, as the server's own logger is built. */
function capturedLogger() {
  let out = "";
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  });
  return { log: createLogger("info", sink), text: () => out };
}

describe("logs", () => {
  it("never carry a failed statement's SQL parameters (a message text) or the statement, at any depth", async () => {
    const pg = new PGlite();
    const secret = "こんにちは, my card number is 4242";
    const err = await pg.query("SELECT 1 / 0 WHERE $1::text IS NOT NULL", [secret]).catch((e: unknown) => e as Error);
    await pg.close();
    // The engine really attaches them: this is what used to reach the logs.
    expect((err as Error & { params?: unknown[] }).params).toEqual([secret]);

    const { log, text } = capturedLogger();
    log.error({ err }, "unhandled error");
    log.warn({ err: new Error("job failed", { cause: err }) }, "job failed");
    log.flush();
    expect(text()).toContain("division by zero");
    expect(text()).toContain('"code":"22012"');
    expect(text()).not.toContain(secret);
    expect(text()).not.toContain("IS NOT NULL");
  });
});
