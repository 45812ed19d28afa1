import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshTestDatabase } from "../../test/support/fresh-database.ts";
import { TEST_CHANNEL, lineEvent, lineUserId, postWebhook, sign, waitFor, webhookBody } from "../../test/support/line-webhooks.ts";
import { bootServer, signedIn, type TestServer } from "../../test/support/server.ts";

/**
 * A rolling restart stops an instance with SIGTERM (main.ts calls close()): /healthz turns 503
 * while it still serves, then it stops accepting, ends its SSE streams with a retry hint, answers
 * the webhook it is in the middle of, lets its jobs finish, and is gone in bounded time.
 */
const DRAIN_MS = 1_000;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-shutdown-"));
const servers: TestServer[] = [];
let database: Awaited<ReturnType<typeof freshTestDatabase>>;

afterAll(async () => {
  for (const s of servers) await s.close();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function boot(env: Record<string, string> = {}) {
  const s = await bootServer({ DATA_DIR: dataDir, ...(database && { DATABASE_URL: database.url }), ...TEST_CHANNEL, ...env });
  servers.push(s);
  return s;
}

/** A webhook whose body is sent in two halves, so it can be in flight across the stop. */
function halfSentWebhook(baseUrl: string, body: string) {
  const half = Math.floor(body.length / 2);
  let answered!: (status: number) => void;
  const status = new Promise<number>((resolve) => (answered = resolve));
  const req = http.request(new URL(`/line/webhook/${TEST_CHANNEL.LINE_CHANNEL_ID}`, baseUrl), {
    method: "POST",
    agent: false,
    headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "X-Line-Signature": sign(body, TEST_CHANNEL.LINE_CHANNEL_SECRET) },
  });
  req.on("response", (res) => {
    res.resume();
    res.on("end", () => answered(res.statusCode ?? 0));
  });
  req.on("error", () => answered(-1));
  req.write(body.slice(0, half));
  return { status, finish: () => req.end(body.slice(half)) };
}

/** Opens a member's SSE stream and collects its raw text until the server ends it. */
async function rawStream(url: string, cookie: string) {
  const res = await fetch(url, { headers: { cookie, accept: "text/event-stream" } });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const ready = (async () => {
    while (!text.includes("event: ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ready: ${text}`);
      text += value;
    }
  })();
  await ready;
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  })();
  return { ended };
}

describe(`graceful shutdown (${process.env.TEST_DATABASE_URL ? "PostgreSQL" : "PGlite"})`, () => {
  it("drains: healthz 503 first, SSE ended with a retry hint, an in-flight webhook answered and processed once, all within the bound", { timeout: 120_000 }, async () => {
    database = await freshTestDatabase("tsunagu_stop");
    const a = await boot({ SHUTDOWN_DRAIN_MS: String(DRAIN_MS), SHUTDOWN_TIMEOUT_MS: "5000" });
    const sato = await signedIn(a, "sato@demo.example");
    const stream = await rawStream(`${a.url}/api/v1/events`, sato.cookie);

    const user = lineUserId();
    const t0 = Date.now() - 60_000;
    const inFlight = [lineEvent("follow", user, t0, { follow: { isUnblocked: false } }), lineEvent("message", user, t0 + 1)];
    const slow = halfSentWebhook(a.url, webhookBody(inFlight));

    const started = Date.now();
    const closing = a.close();
    const health = await fetch(`${a.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "draining" });
    // Still serving while the load balancer notices.
    const during = [lineEvent("message", user, t0 + 2)];
    expect((await postWebhook(a.url, TEST_CHANNEL.LINE_CHANNEL_ID, webhookBody(during))).status).toBe(200);

    // After the drain period the stream ends at once (not after a close timeout) with a short retry.
    const text = await stream.ended;
    expect(Date.now() - started).toBeLessThan(DRAIN_MS + 3_000);
    expect(text).toMatch(/\nretry: (\d+)\n\n$/);
    const retry = Number(/\nretry: (\d+)\n\n$/.exec(text)![1]);
    expect(retry).toBeGreaterThanOrEqual(250);
    expect(retry).toBeLessThan(2_000);
    // No new connections now; the request already on the wire is still answered.
    await expect(fetch(`${a.url}/healthz`)).rejects.toThrow();
    slow.finish();
    expect(await slow.status).toBe(200);
    await closing;
    expect(Date.now() - started).toBeLessThan(DRAIN_MS + 8_000);

    // The next instance on the same data finds every acknowledged event and runs each once.
    const b = await boot({ DEMO_SEED: "0" });
    const admin = await signedIn(b, "admin@demo.example");
    const acknowledged = [...inFlight, ...during].map((e) => e.webhookEventId);
    const states = await waitFor(
      async () => {
        const items = (await admin.get("/api/v1/admin/line/events?limit=500")).json.items as { webhookEventId: string; state: string }[];
        const mine = items.filter((e) => acknowledged.includes(e.webhookEventId));
        return mine.length === acknowledged.length && mine.every((e) => e.state === "processed") ? mine : undefined;
      },
      60_000,
      "the acknowledged events to be processed",
    );
    expect(states).toHaveLength(3);
  });
});
