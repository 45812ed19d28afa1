import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite, openPostgres, type Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { createDirectoryService } from "../directory/service.ts";
import { localFileStore } from "../files/store.ts";
import { requestContext, session, SESSION_COOKIE } from "../http/middleware.ts";
import { createRouter } from "../http/openapi.ts";
import { Problem } from "../http/problem.ts";
import { createRealtimeHub, type RealtimeHub } from "./hub.ts";
import { publish } from "./publish.ts";
import { realtimeRepository } from "./repository.ts";
import { pruneRealtimeEvents } from "./retention.ts";
import { realtimeRoutes } from "./routes.ts";

/**
 * Two app instances share one database, as N instances share PostgreSQL in production: on
 * PostgreSQL (TEST_DATABASE_URL) each has its own connection pool and LISTEN connection; on
 * PGlite both hubs run in this process on the one embedded database.
 */
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const PASSWORD = "realtime-password-1";

interface Instance {
  db: Database;
  hub: RealtimeHub;
  url: string;
  server: ServerType;
}

let dataDir: string;
let dropDatabase: (() => Promise<void>) | undefined;
let dbA: Database;
let dbB: Database;
let A: Instance;
let B: Instance;
const cookies = new Map<string, string>();
const ids = new Map<string, { memberId: string; tenantId: string }>();

async function openDatabases(): Promise<[Database, Database]> {
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) {
    const db = await openPglite(path.join(dataDir, "pglite"));
    return [db, db];
  }
  const name = `tsunagu_t_${crypto.randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return [await openPostgres(url.toString()), await openPostgres(url.toString())];
}

async function startInstance(db: Database, opts: { sweepMs?: number } = {}): Promise<Instance> {
  const directory = createDirectoryService({ db, files: localFileStore(path.join(dataDir, "files")), clock: () => new Date(), sessionTtlMs: 3_600_000 });
  const hub = await createRealtimeHub(db, log, { sweepMs: opts.sweepMs ?? 0 });
  const app = createRouter();
  app.use("*", requestContext(log));
  app.onError((err, c) => {
    const p = err instanceof Problem ? err : new Problem(500, "internal_error", "Something went wrong");
    return c.body(JSON.stringify(p.toBody()), p.status, { "Content-Type": "application/problem+json" });
  });
  const api = createRouter();
  api.use("*", session(directory));
  api.route("/", realtimeRoutes(hub, { db, clock: () => new Date() }, { heartbeatMs: 150, retryMs: 1_234 }));
  app.route("/api/v1", api);
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ server: s, port: info.port }));
  });
  return { db, hub, server, url: `http://127.0.0.1:${port}` };
}

async function stopInstance(i: Instance) {
  await i.hub.close();
  // Sockets of aborted streams and idle keep-alive sockets from fetch would hold close() for seconds.
  const closed = new Promise<void>((resolve) => i.server.close(() => resolve()));
  (i.server as import("node:http").Server).closeAllConnections();
  await closed;
}

interface SseEvent {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

/** Reads a real text/event-stream byte stream the way EventSource does (fields, blank-line dispatch, comments). */
class SseStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  private waiters: (() => void)[] = [];
  private controller = new AbortController();
  status = 0;
  contentType = "";
  ended = false;

  static async open(instance: Instance, login: string, opts: { lastEventId?: string; query?: string } = {}) {
    const s = new SseStream();
    const res = await fetch(`${instance.url}/api/v1/events${opts.query ?? ""}`, {
      headers: {
        accept: "text/event-stream",
        cookie: `${SESSION_COOKIE}=${cookies.get(login)}`,
        ...(opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}),
      },
      signal: s.controller.signal,
    });
    s.status = res.status;
    s.contentType = res.headers.get("content-type") ?? "";
    if (res.ok && res.body) void s.read(res.body);
    return s;
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    let buffer = "";
    let current: { id?: string; event?: string; retry?: number; data?: string[] } = {};
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          if (line === "") {
            if (current.data) {
              this.events.push({ id: current.id, event: current.event ?? "message", data: current.data.join("\n"), retry: current.retry });
            }
            current = {};
          } else if (line.startsWith(":")) {
            this.comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "data") (current.data ??= []).push(value);
            else if (field === "id") current.id = value;
            else if (field === "event") current.event = value;
            else if (field === "retry") current.retry = Number(value);
          }
          this.waiters.splice(0).forEach((w) => w());
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
      this.waiters.splice(0).forEach((w) => w());
    }
  }

  /** Waits until `n` events have arrived (or fails after a timeout) and returns them. */
  async waitFor(n: number, timeoutMs = 15_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < n) {
      if (this.ended) throw new Error(`stream ended after ${this.events.length} of ${n} events`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.events.length} of ${n} events: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.events.slice(0, n);
  }

  close() {
    this.controller.abort();
  }
}

const send = (db: Database, login: string, type: string, data: unknown) => {
  const who = ids.get(login)!;
  return db.transaction((tx) => publish(tx, { tenantId: who.tenantId, memberIds: [who.memberId], type, data }));
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-realtime-"));
  [dbA, dbB] = await openDatabases();
  await migrate(dbA);
  A = await startInstance(dbA);
  B = await startInstance(dbB);
  const directory = createDirectoryService({ db: dbA, files: localFileStore(path.join(dataDir, "files")), clock: () => new Date(), sessionTtlMs: 3_600_000 });
  const acme = await directory.createTenant({ name: "Acme", plan: "core" });
  const other = await directory.createTenant({ name: "Other", plan: "core" });
  for (const [tenant, login] of [
    [acme, "xavier"],
    [acme, "yuki"],
    [other, "zoe"],
  ] as const) {
    const m = await directory.addMember(tenant, null, {
      loginId: login,
      email: `${login}@example.test`,
      displayName: login,
      role: "member",
      password: PASSWORD,
    });
    ids.set(login, { memberId: m.id, tenantId: tenant.id });
    cookies.set(login, (await directory.signIn(login, PASSWORD, "realtime-test")).token);
  }
});

afterAll(async () => {
  for (const i of [A, B]) if (i) await stopInstance(i);
  await dbA?.close();
  if (dbB !== dbA) await dbB?.close();
  await dropDatabase?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe(`real-time events over SSE (${process.env.TEST_DATABASE_URL ? "PostgreSQL, two pools" : "PGlite"})`, () => {
  it("delivers an event committed through instance A to a stream on instance B, as id/event/data", async () => {
    const onB = await SseStream.open(B, "xavier");
    expect(onB.status).toBe(200);
    expect(onB.contentType).toContain("text/event-stream");
    const onA = await SseStream.open(A, "xavier");
    const [ready] = await onB.waitFor(1);
    expect(ready).toMatchObject({ event: "ready", data: "{}", retry: 1_234 });
    expect(ready!.id).toMatch(/^\d+$/);
    await onA.waitFor(1);

    await send(dbA, "xavier", "message.created", { roomId: "r1", text: "こんにちは" });
    const [, ev] = await onB.waitFor(2);
    expect(ev!.event).toBe("message.created");
    expect(JSON.parse(ev!.data)).toEqual({ roomId: "r1", text: "こんにちは" });
    expect(Number(ev!.id)).toBeGreaterThan(Number(ready!.id));
    // The instance that wrote it delivers it too, under the same id.
    expect((await onA.waitFor(2))[1]).toEqual({ ...ev, retry: undefined });
    onA.close();
    onB.close();
  });

  it("resumes after a disconnect with exactly the missed events, in order, then continues live", async () => {
    const first = await SseStream.open(B, "xavier");
    await first.waitFor(1);
    await send(dbA, "xavier", "room.updated", { n: 1 });
    const [, seen] = await first.waitFor(2);
    first.close();
    // The server notices the disconnect and drops the subscription.
    await until(() => B.hub.subscriberCount() === 0, "B to drop the closed stream");

    await send(dbA, "xavier", "room.updated", { n: 2 });
    await send(dbB, "xavier", "room.updated", { n: 3 });
    const again = await SseStream.open(B, "xavier", { lastEventId: seen!.id });
    const [ready, m2, m3] = await again.waitFor(3);
    expect(ready).toMatchObject({ event: "ready", id: seen!.id });
    expect([m2, m3].map((e) => JSON.parse(e!.data))).toEqual([{ n: 2 }, { n: 3 }]);
    expect(Number(m3!.id)).toBeGreaterThan(Number(m2!.id));

    await send(dbA, "xavier", "room.updated", { n: 4 });
    // A later sentinel proves nothing else (no repeat) came in between, without sleeping.
    await send(dbB, "xavier", "room.updated", { n: 5 });
    const all = await again.waitFor(5);
    expect(all.map((e) => (e.event === "ready" ? "ready" : JSON.parse(e.data).n))).toEqual(["ready", 2, 3, 4, 5]);
    expect(new Set(all.map((e) => e.id)).size).toBe(5);
    again.close();

    // A new EventSource created with ?lastEventId= resumes the same way; the header wins when both are sent.
    const viaQuery = await SseStream.open(A, "xavier", { query: `?lastEventId=${seen!.id}` });
    expect((await viaQuery.waitFor(4)).slice(1).map((e) => JSON.parse(e.data).n)).toEqual([2, 3, 4]);
    viaQuery.close();
    const both = await SseStream.open(A, "xavier", { query: `?lastEventId=${seen!.id}`, lastEventId: m3!.id });
    expect((await both.waitFor(2))[1]!.data).toBe(JSON.stringify({ n: 4 }));
    both.close();
  });

  it("never shows a member another member's events, nor another company's", async () => {
    const x = await SseStream.open(B, "xavier");
    const y = await SseStream.open(A, "yuki");
    const z = await SseStream.open(B, "zoe");
    await Promise.all([x.waitFor(1), y.waitFor(1), z.waitFor(1)]);

    await send(dbA, "yuki", "contact.updated", { for: "yuki" });
    await send(dbA, "zoe", "contact.updated", { for: "zoe" });
    await send(dbA, "xavier", "contact.updated", { for: "xavier" });
    // Addressing a member under the wrong company is refused and writes nothing.
    const zoe = ids.get("zoe")!;
    await expect(
      dbA.transaction((tx) =>
        publish(tx, { tenantId: ids.get("xavier")!.tenantId, memberIds: [ids.get("xavier")!.memberId, zoe.memberId], type: "contact.updated", data: { leak: true } }),
      ),
    ).rejects.toThrow(/not members of tenant/);

    // Each stream gets its own event and then a sentinel sent last: nothing of another's came between.
    for (const login of ["xavier", "yuki", "zoe"]) await send(dbB, login, "contact.updated", { sentinel: true });
    for (const [s, login] of [[x, "xavier"], [y, "yuki"], [z, "zoe"]] as const) {
      expect((await s.waitFor(3)).slice(1).map((e) => JSON.parse(e.data))).toEqual([{ for: login }, { sentinel: true }]);
    }

    // Replaying from the very beginning still yields only one's own rows (the sentinel is zoe's last).
    const replay = await SseStream.open(A, "zoe", { lastEventId: "0" });
    expect((await replay.waitFor(3)).slice(1).map((e) => JSON.parse(e.data))).toEqual([{ for: "zoe" }, { sentinel: true }]);
    [x, y, z, replay].forEach((s) => s.close());
  });

  it("never delivers an event whose transaction rolled back", async () => {
    const x = await SseStream.open(B, "xavier");
    await x.waitFor(1);
    const who = ids.get("xavier")!;
    await expect(
      dbA.transaction(async (tx) => {
        await publish(tx, { tenantId: who.tenantId, memberIds: [who.memberId], type: "message.created", data: { rolledBack: true } });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    await send(dbA, "xavier", "message.created", { committed: true });
    // The committed event comes after the rolled-back one: a stream in id order would have shown that first.
    const [, ev] = await x.waitFor(2);
    expect(JSON.parse(ev!.data)).toEqual({ committed: true });
    const stored = await dbA.query("SELECT 1 FROM realtime_events WHERE data ? 'rolledBack'");
    expect(stored).toHaveLength(0);
    x.close();
  });

  // Overlapping transactions need two connections: PGlite has one.
  it.runIf(!!process.env.TEST_DATABASE_URL)("delivers one member's events in commit order when transactions overlap, without one waiting for the other", async () => {
    const x = await SseStream.open(B, "xavier");
    await x.waitFor(1);
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    let firstPublished!: () => void;
    const published = new Promise<void>((r) => (firstPublished = r));
    const who = ids.get("xavier")!;
    const first = dbA.transaction(async (tx) => {
      await publish(tx, { tenantId: who.tenantId, memberIds: [who.memberId], type: "message.created", data: { seq: 1 } });
      firstPublished();
      await firstHolds;
    });
    await published;
    // The second writer commits while the first is still open: it is not held up, and its event
    // is delivered first. The first one's, committed later, must still arrive (not land behind
    // the reader's cursor).
    await send(dbB, "xavier", "message.created", { seq: 2 });
    const [, early] = await x.waitFor(2);
    expect(JSON.parse(early!.data).seq).toBe(2);
    releaseFirst();
    await first;
    const events = (await x.waitFor(3)).slice(1);
    expect(events.map((e) => JSON.parse(e.data).seq)).toEqual([2, 1]);
    expect(Number(events[1]!.id)).toBeGreaterThan(Number(events[0]!.id));
    x.close();
  });

  it("tells a client to reload when its resume point was pruned, and does not repeat that once it is current", async () => {
    const x = await SseStream.open(A, "yuki");
    const [ready] = await x.waitFor(1);
    await send(dbB, "yuki", "contact.updated", { old: true });
    const [, old] = await x.waitFor(2);
    x.close();
    expect(await pruneRealtimeEvents(dbA, { now: new Date(Date.now() + 60_000), retentionMs: 0 })).toBeGreaterThan(0);

    const back = await SseStream.open(B, "yuki", { lastEventId: ready!.id });
    const [reset] = await back.waitFor(1);
    expect(reset).toMatchObject({ event: "reset", id: old!.id });
    back.close();
    // Coming back from the id the reset gave is an ordinary resume.
    const current = await SseStream.open(B, "yuki", { lastEventId: reset!.id });
    expect((await current.waitFor(1))[0]!.event).toBe("ready");
    await send(dbA, "yuki", "contact.updated", { fresh: true });
    expect(JSON.parse((await current.waitFor(2))[1]!.data)).toEqual({ fresh: true });
    current.close();
    // An id this database never issued for the member (e.g. after a restore) also means reload.
    const future = await SseStream.open(A, "yuki", { lastEventId: "999999999" });
    expect((await future.waitFor(1))[0]!.event).toBe("reset");
    future.close();
  });

  it("sends heartbeats, and answers without a session or with a malformed resume point as problems", async () => {
    const x = await SseStream.open(A, "xavier");
    await x.waitFor(1);
    await until(() => x.comments.includes("ping"), "a heartbeat comment");
    x.close();

    const anonymous = await fetch(`${A.url}/api/v1/events`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toContain("application/problem+json");
    const bad = await fetch(`${A.url}/api/v1/events?lastEventId=abc`, { headers: { cookie: `${SESSION_COOKIE}=${cookies.get("xavier")}` } });
    expect(bad.status).toBe(400);
    await bad.body?.cancel();
  });

  it("finds events whose notification was lost on the next sweep", async () => {
    const swept = await startInstance(dbB, { sweepMs: 100 });
    try {
      const x = await SseStream.open(swept, "xavier");
      await x.waitFor(1);
      // Written without NOTIFY, as if the process had died between commit and notification.
      const who = ids.get("xavier")!;
      await dbA.transaction((tx) => realtimeRepository.insertOutbox(tx, { tenantId: who.tenantId, memberIds: [who.memberId], type: "room.updated", data: { quiet: true } }));
      expect(JSON.parse((await x.waitFor(2))[1]!.data)).toEqual({ quiet: true });
      x.close();
    } finally {
      await stopInstance(swept);
    }
  });

  it("ends open streams when the hub closes", async () => {
    const extra = await startInstance(dbA);
    const x = await SseStream.open(extra, "xavier");
    await x.waitFor(1);
    expect(extra.hub.subscriberCount()).toBe(1);
    await extra.hub.close();
    await until(() => x.ended, "the stream to end");
    expect(extra.hub.subscriberCount()).toBe(0);
    await stopInstance(extra);
  });
});
