/**
 * A rolling restart under LINE traffic (`npm run bench -- --db postgres --rolling`): two instances
 * (real processes, `src/server/main.ts`) on one PostgreSQL and one S3 bucket receive signed
 * webhooks at a fixed rate through a load balancer played by this script (routes to instances
 * whose /healthz answers 200, round robin; a refused or failed delivery is sent again to the
 * next one, as LINE redelivers). Meanwhile each instance in turn gets SIGTERM and is replaced.
 * Afterwards every acknowledged event must be processed exactly once: one webhook_events row,
 * processed, and one message in the room.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { EmulatorControlClient } from "../src/line-emulator/control-client.ts";
import { startLineEmulator } from "../src/line-emulator/emulator.ts";
import { signBody } from "../src/server/line/webhook.ts";
import { startS3Server } from "../test/support/s3.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHANNEL = {
  LINE_CHANNEL_ID: "1650000101",
  LINE_CHANNEL_SECRET: crypto.randomBytes(16).toString("hex"),
  LINE_CHANNEL_ACCESS_TOKEN: crypto.randomBytes(32).toString("hex"),
  LINE_LOGIN_CHANNEL_ID: "1650000102",
  LINE_LOGIN_CHANNEL_SECRET: crypto.randomBytes(16).toString("hex"),
};

interface Instance {
  name: string;
  child: ChildProcess;
  url: string;
  healthy: boolean;
  /** Consecutive failed health checks: like a load balancer's unhealthy threshold, two mark it down. */
  failures: number;
  exited: Promise<void>;
}

export interface RollingResult {
  rate: number;
  seconds: number;
  sent: number;
  acknowledged: number;
  /** Deliveries that were refused, failed or not answered 200 and went again to another instance. */
  redelivered: number;
  /** Moments the load balancer had no healthy instance and the delivery waited 50 ms. */
  noInstance: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  /** SIGTERM → process gone, per stopped instance. */
  stopsMs: number[];
  /** End of the load → every acknowledged event processed. */
  catchUpMs: number;
  lost: number;
  duplicated: number;
  unprocessed: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/** `restart: false` runs the same load on the same two instances without stopping any: the baseline the restart is read against. */
export async function benchRollingRestart(opts: { databaseUrl: string; rate: number; seconds: number; drainMs: number; restart: boolean }): Promise<RollingResult> {
  const s3 = await startS3Server("tsunagu-bench");
  const emulator = await startLineEmulator({ port: 0, log: pino({ level: "silent" }) });
  const dirs: string[] = [];
  const instances: Instance[] = [];
  const baseEnv = {
    DATABASE_URL: opts.databaseUrl,
    SECRET_KEY: crypto.randomBytes(32).toString("base64"),
    LINE_MODE: "live",
    // The instances listen on plain http; nothing here is fetched by the real LINE.
    LINE_ALLOW_INSECURE_PUBLIC_URL: "1",
    LINE_API_BASE_URL: emulator.url,
    LINE_DATA_API_BASE_URL: emulator.url,
    LINE_LOGIN_BASE_URL: emulator.url,
    LINE_AUTHORIZE_BASE_URL: emulator.url,
    DEMO_PASSWORD: "bench-password-1",
    SHUTDOWN_DRAIN_MS: String(opts.drainMs),
    LOG_LEVEL: "warn",
    PORT: "0",
    ...CHANNEL,
    ...s3.env,
  };

  async function startInstance(name: string, extra: Record<string, string> = {}): Promise<Instance> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tsunagu-rolling-${name}-`));
    dirs.push(dataDir);
    const env = { ...process.env, ...baseEnv, DATA_DIR: dataDir, DEMO_SEED: "0", ...extra };
    const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 120_000);
      child.stdout!.on("data", () => {
        const m = /Tsunagu is running at (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then(() => reject(new Error(`${name} exited:\n${out}`)));
    });
    const instance = { name, child, url, healthy: true, failures: 0, exited };
    instances.push(instance);
    return instance;
  }

  // The load balancer's health checks: every 100 ms with a 2 s timeout; down after two failures, up after one success.
  const checked = (i: Instance, ok: boolean) => {
    i.failures = ok ? 0 : i.failures + 1;
    i.healthy = ok || i.failures < 2;
  };
  const healthTimer = setInterval(() => {
    for (const i of instances) {
      fetch(`${i.url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => void r.arrayBuffer().then(() => checked(i, r.status === 200)),
        () => checked(i, false),
      );
    }
  }, 100);
  let turn = 0;
  const pick = () => {
    const healthy = instances.filter((i) => i.healthy);
    if (!healthy.length) return undefined;
    return healthy[turn++ % healthy.length]!;
  };

  try {
    const first = await startInstance("a", { DEMO_SEED: "1" });
    emulator.registerChannel({
      channelId: CHANNEL.LINE_CHANNEL_ID,
      channelSecret: CHANNEL.LINE_CHANNEL_SECRET,
      accessToken: CHANNEL.LINE_CHANNEL_ACCESS_TOKEN,
      loginChannelId: CHANNEL.LINE_LOGIN_CHANNEL_ID,
      loginChannelSecret: CHANNEL.LINE_LOGIN_CHANNEL_SECRET,
      basicId: "@bench",
      botName: "Demo Company",
      webhookUrl: `${first.url}/line/webhook/${CHANNEL.LINE_CHANNEL_ID}`,
    });
    await startInstance("b");

    const post = async (url: string, events: unknown[]) => {
      const body = JSON.stringify({ destination: "Ubench", events });
      const res = await fetch(`${url}/line/webhook/${CHANNEL.LINE_CHANNEL_ID}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-line-signature": signBody(body, CHANNEL.LINE_CHANNEL_SECRET) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const messageEvent = (userId: string, messageId: string, text: string) => ({
      type: "message",
      mode: "active",
      timestamp: Date.now(),
      webhookEventId: `01ROLL${crypto.randomBytes(10).toString("hex").toUpperCase()}`,
      deliveryContext: { isRedelivery: false },
      source: { type: "user", userId },
      replyToken: crypto.randomBytes(16).toString("hex"),
      message: { id: messageId, type: "text", quoteToken: "q", text },
    });

    // 50 LINE users find sato by Message ID, so each of their messages lands in a room.
    const control = new EmulatorControlClient(emulator.url);
    const users: string[] = [];
    for (let i = 0; i < 50; i++) users.push((await control.createUser({ displayName: `Rolling user ${i}` })).userId);
    await post(first.url, users.map((u, i) => messageEvent(u, `setup-${i}`, "sato")));
    const db = new pg.Client({ connectionString: opts.databaseUrl });
    await db.connect();
    const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
    const setupUntil = Date.now() + 120_000;
    while ((await count("SELECT count(*) AS n FROM rooms")) < users.length) {
      if (Date.now() > setupUntil) throw new Error("the bench users' rooms were not created");
      await new Promise((r) => setTimeout(r, 200));
    }

    // The load: one message event per delivery, `rate` deliveries a second, open loop.
    const acknowledged: { eventId: string; messageId: string }[] = [];
    const latencies: number[] = [];
    let sent = 0;
    let redelivered = 0;
    let noInstance = 0;
    const inFlight = new Set<Promise<void>>();
    const deliver = async (n: number) => {
      const event = messageEvent(users[n % users.length]!, `roll-${n}`, `rolling ${n}`);
      const t0 = performance.now();
      // LINE gives up on a delivery after a while too; a minute is far beyond any stop here.
      while (performance.now() - t0 < 60_000) {
        const target = pick();
        const status = target ? await post(target.url, [event]).catch(() => -1) : -1;
        if (status === 200) {
          latencies.push(performance.now() - t0);
          acknowledged.push({ eventId: event.webhookEventId, messageId: event.message.id });
          return;
        }
        if (target) redelivered++;
        else {
          noInstance++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const stopsMs: number[] = [];
    const roll = async () => {
      // Each original instance in turn: SIGTERM, wait for it to exit, start its replacement.
      for (const name of ["a", "b"]) {
        await new Promise((r) => setTimeout(r, (opts.seconds * 1000) / 6));
        const old = instances.find((i) => i.name === name)!;
        const t0 = performance.now();
        old.child.kill("SIGTERM");
        await old.exited;
        stopsMs.push(performance.now() - t0);
        instances.splice(instances.indexOf(old), 1);
        await startInstance(`${name}2`);
      }
    };
    const rolling = opts.restart ? roll() : Promise.resolve();
    const started = performance.now();
    const total = opts.rate * opts.seconds;
    while (sent < total) {
      const due = started + (sent * 1000) / opts.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = deliver(sent++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const loadEnded = performance.now();
    await rolling;

    const ids = acknowledged.map((a) => a.eventId);
    const catchUpUntil = Date.now() + 300_000;
    while ((await count("SELECT count(*) AS n FROM webhook_events WHERE webhook_event_id = ANY($1) AND state = 'processed'", [ids])) < ids.length) {
      if (Date.now() > catchUpUntil) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const catchUpMs = performance.now() - loadEnded;
    const stored = await count("SELECT count(*) AS n FROM webhook_events WHERE webhook_event_id = ANY($1)", [ids]);
    const processed = await count("SELECT count(*) AS n FROM webhook_events WHERE webhook_event_id = ANY($1) AND state = 'processed'", [ids]);
    const messageIds = acknowledged.map((a) => a.messageId);
    const distinctMessages = await count("SELECT count(DISTINCT line_message_id) AS n FROM messages WHERE line_message_id = ANY($1)", [messageIds]);
    const messages = await count("SELECT count(*) AS n FROM messages WHERE line_message_id = ANY($1)", [messageIds]);
    await db.end();
    return {
      rate: opts.rate,
      seconds: opts.seconds,
      sent,
      acknowledged: acknowledged.length,
      redelivered,
      noInstance,
      ackP50Ms: quantile(latencies, 0.5),
      ackP99Ms: quantile(latencies, 0.99),
      ackMaxMs: Math.max(...latencies),
      stopsMs,
      catchUpMs,
      lost: acknowledged.length - Math.min(stored, distinctMessages),
      duplicated: messages - distinctMessages,
      unprocessed: stored - processed,
    };
  } finally {
    clearInterval(healthTimer);
    for (const i of instances) i.child.kill("SIGTERM");
    await Promise.all(instances.map((i) => i.exited));
    await emulator.close();
    await s3.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
