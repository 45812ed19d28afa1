import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openPglite } from "../db/database.ts";
import { ApiClient, DEMO_PASSWORD } from "../../../test/support/server.ts";
import { TEST_CHANNEL, freshPostgres, lineEvent, lineUserId, postWebhook, waitFor, webhookBody } from "../../../test/support/line-webhooks.ts";

/**
 * DESIGN §7 "nothing acknowledged is lost": the real server runs as a child process, is
 * SIGKILLed right after answering 200 to a stream of webhooks, and restarted on the same data.
 */
const ROOT = path.resolve(import.meta.dirname, "../../..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-crash-"));
let database: { url: string; drop(): Promise<void> } | undefined;
const children: ChildProcess[] = [];

function startChild(extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  // The child uses PGlite in dataDir unless this test made a PostgreSQL database for it.
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const child = spawn("npx", ["tsx", "src/server/main.ts"], {
    cwd: ROOT,
    env: {
      ...env,
      PORT: "0",
      DATA_DIR: dataDir,
      DEMO_SEED: "1",
      DEMO_PASSWORD,
      LOG_LEVEL: "info",
      ...TEST_CHANNEL,
      ...(database && { DATABASE_URL: database.url }),
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: npx → tsx → node are three processes, and a kill must reach the server itself.
    detached: true,
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 90_000);
    const check = () => {
      const m = /Tsunagu is running at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

const groupAlive = (child: ChildProcess) => {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
};

/** Signals every process of the child's group and waits until none is left. */
async function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (groupAlive(child)) process.kill(-child.pid!, signal);
  await waitFor(async () => !groupAlive(child), 30_000, `the server's processes to exit on ${signal}`);
}

afterAll(async () => {
  for (const c of children) if (groupAlive(c)) process.kill(-c.pid!, "SIGKILL");
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("crash safety", () => {
  it("processes every acknowledged webhook event exactly once across a SIGKILL and restart", async () => {
    database = await freshPostgres("tsunagu_crash");
    // The first process holds every event for 5 s before running it, so the kill certainly
    // lands while acknowledged events are still unprocessed (the case that must not lose them).
    const first = await startChild({ LINE_EVENT_HOLD_MS: "5000" });
    const users = Array.from({ length: 6 }, lineUserId);
    const acknowledged: string[] = [];
    const t0 = Date.now() - 60_000;
    // Batches in flight together, as LINE sends them; each mixes users and event types.
    const posts = Array.from({ length: 30 }, async (_, i) => {
      const events = [
        lineEvent("follow", users[i % users.length]!, t0 + i * 10, { follow: { isUnblocked: false } }),
        lineEvent("message", users[(i + 1) % users.length]!, t0 + i * 10 + 1),
        lineEvent("postback", users[(i + 2) % users.length]!, t0 + i * 10 + 2, { postback: { data: `n=${i}` } }),
      ];
      const res = await postWebhook(first.url, TEST_CHANNEL.LINE_CHANNEL_ID, webhookBody(events));
      if (res.status === 200) acknowledged.push(...events.map((e) => e.webhookEventId));
    });
    await Promise.all(posts);
    await killGroup(first.child, "SIGKILL");
    expect(acknowledged.length).toBe(90);

    const second = await startChild();
    const admin = new ApiClient(second.url);
    await admin.signIn("admin@demo.example");
    const states = await waitFor(
      async () => {
        const res = await admin.get("/api/v1/admin/line/events?limit=500");
        const byId = new Map<string, string[]>();
        for (const e of res.json.items as { webhookEventId: string; state: string }[]) {
          byId.set(e.webhookEventId, [...(byId.get(e.webhookEventId) ?? []), e.state]);
        }
        return acknowledged.every((id) => byId.get(id)?.[0] === "processed") ? byId : undefined;
      },
      90_000,
      "every acknowledged event to be processed",
    );
    for (const id of acknowledged) expect(states.get(id), id).toEqual(["processed"]);
    await killGroup(second.child, "SIGTERM");

    // Every event ran to completion and its job is gone: the job's removal commits in the same
    // transaction as the event's effects and its "processed" mark, so nothing can run it again.
    const sql = `SELECT e.webhook_event_id AS id, e.state, e.attempts, count(j.id) AS jobs
                 FROM webhook_events e LEFT JOIN jobs j ON j.kind = 'line.event' AND (j.payload->>'eventId')::bigint = e.id
                 GROUP BY e.webhook_event_id, e.state, e.attempts`;
    let rows: { id: string; state: string; attempts: number; jobs: number }[];
    if (database) {
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      rows = (await c.query(sql)).rows.map((r) => ({ id: r.id, state: r.state, attempts: Number(r.attempts), jobs: Number(r.jobs) }));
      await c.end();
    } else {
      const db = await openPglite(path.join(dataDir, "pglite"));
      rows = await db.query(sql);
      await db.close();
    }
    expect(rows.filter((r) => acknowledged.includes(r.id))).toHaveLength(90);
    for (const r of rows) {
      expect(r, r.id).toMatchObject({ state: "processed", jobs: 0 });
      expect(r.attempts, r.id).toBeGreaterThanOrEqual(1);
    }

    // The channel secret and access token never reach the logs.
    const logs = first.output() + second.output();
    expect(logs).toContain('"msg":"request"');
    expect(logs).not.toContain(TEST_CHANNEL.LINE_CHANNEL_SECRET);
    expect(logs).not.toContain(TEST_CHANNEL.LINE_CHANNEL_ACCESS_TOKEN);
    expect(logs).not.toContain(TEST_CHANNEL.LINE_LOGIN_CHANNEL_SECRET);
  }, 240_000);
});
