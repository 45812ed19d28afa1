import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootServer, DEMO_PASSWORD, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { TEST_CHANNEL, lineEvent, lineUserId, postWebhook, waitFor, webhookBody } from "../../../test/support/line-webhooks.ts";

// POST /admin/line/events/{id}/retry: an event parked as failed goes back to the queue once its
// cause is fixed, and is then processed exactly once.

let server: TestServer;
let admin: ApiClient;
const CH = TEST_CHANNEL.LINE_CHANNEL_ID;

/** LINE users whose postbacks currently fail (the "cause" a test fixes), and each user's successful runs. */
const broken = new Set<string>();
const failures = new Map<string, number>();
const processed = new Map<string, number>();
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

interface EventJson {
  id: number;
  webhookEventId: string;
  state: string;
  attempts: number;
  lastError: string | null;
}

beforeAll(async () => {
  // Two attempts keep parking quick; no hold, so a queued event is due at once.
  server = await bootServer({ ...TEST_CHANNEL, LINE_EVENT_MAX_ATTEMPTS: "2", LINE_EVENT_HOLD_MS: "0" });
  server.line.handlers.register({
    async postback(_ctx, ev) {
      const user = (ev.source as { userId: string }).userId;
      if (broken.has(user)) {
        bump(failures, user);
        throw new Error("room service unavailable");
      }
      bump(processed, user);
    },
  });
  admin = await signedIn(server, "admin@demo.example");
});
afterAll(async () => {
  await server?.stop();
});

const events = async (state?: string): Promise<EventJson[]> => {
  const res = await admin.get(`/api/v1/admin/line/events${state ? `?state=${state}` : ""}`);
  expect(res.status).toBe(200);
  return res.json.items;
};

/** Sends a postback that fails every attempt and returns it once it is parked as failed. */
async function parkedEvent(user: string): Promise<EventJson> {
  broken.add(user);
  const ev = lineEvent("postback", user, Date.now(), { postback: { data: "x" } });
  expect((await postWebhook(server.url, CH, webhookBody([ev]))).status).toBe(200);
  return waitFor(async () => (await events("failed")).find((e) => e.webhookEventId === ev.webhookEventId), 20_000, "the event to be parked");
}

const retry = (client: ApiClient, id: number) => client.post(`/api/v1/admin/line/events/${id}/retry`);

describe("POST /admin/line/events/{id}/retry", () => {
  it("queues a failed event again and, with its cause fixed, processes it exactly once", async () => {
    const user = lineUserId();
    const failed = await parkedEvent(user);
    expect(failed).toMatchObject({ state: "failed", attempts: 2 });
    expect(failures.get(user)).toBe(2);

    broken.delete(user);
    const res = await retry(admin, failed.id);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: failed.id, state: "pending", attempts: 0 });

    const done = await waitFor(
      async () => (await events()).find((e) => e.id === failed.id && e.state === "processed"),
      20_000,
      "the retried event to be processed",
    );
    expect(done.attempts).toBe(1);
    expect(done.lastError).toBeNull();
    expect((await events("failed")).some((e) => e.id === failed.id)).toBe(false);
    // Nothing else is left to run it a second time.
    await server.worker.drain();
    expect(processed.get(user)).toBe(1);
    expect(failures.get(user)).toBe(2);

    const audit = await server.db.query<{ actor: string }>(
      `SELECT m.email AS actor FROM audit_log a JOIN members m ON m.id = a.actor_member_id
       WHERE a.action = 'line_event.retry' AND a.target_id = $1`,
      [String(failed.id)],
    );
    expect(audit).toEqual([{ actor: "admin@demo.example" }]);
  });

  it("refuses with 409 an event that is not failed, and lets only one of two simultaneous retries through", async () => {
    const user = lineUserId();
    const failed = await parkedEvent(user);
    const [a, b] = await Promise.all([retry(admin, failed.id), retry(admin, failed.id)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.json).toMatchObject({ code: "line_event_not_failed", status: 409 });

    broken.delete(user);
    await waitFor(async () => (await events()).find((e) => e.id === failed.id && e.state === "processed"), 20_000, "processing");
    await server.worker.drain();
    expect(processed.get(user)).toBe(1);
    const again = await retry(admin, failed.id);
    expect(again.status).toBe(409);
    expect(again.json.detail).toContain("processed");
  });

  it("answers 404 for an unknown event and for another company's event, 403 for a member", async () => {
    const user = lineUserId();
    const failed = await parkedEvent(user);
    broken.delete(user);

    const other = await server.directory.createTenant({ name: "Other Company", plan: "core" });
    await server.directory.addMember(other, null, {
      loginId: "line-outsider",
      email: "line-outsider@other.example",
      displayName: "Outsider",
      role: "admin",
      password: DEMO_PASSWORD,
    });
    const outsider = await signedIn(server, "line-outsider@other.example");
    const foreign = await retry(outsider, failed.id);
    expect(foreign.status).toBe(404);
    expect(foreign.json).toMatchObject({ code: "not_found" });

    const member = await signedIn(server, "sato@demo.example");
    const refused = await retry(member, failed.id);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: "admin_required" });

    expect((await retry(admin, 987_654_321)).status).toBe(404);
    expect((await retry(admin, 0)).status).toBe(400);
    // None of the refused calls touched it.
    expect((await events("failed")).find((e) => e.id === failed.id)).toMatchObject({ state: "failed", attempts: 2 });
    expect(processed.get(user)).toBeUndefined();
  });
});

describe("an event whose worker stopped during its last attempt", () => {
  let held: TestServer;
  const runs = new Map<string, number>();
  beforeAll(async () => {
    // A long hold keeps the event queued until the test has played the worker that died with it.
    held = await bootServer({ ...TEST_CHANNEL, LINE_EVENT_MAX_ATTEMPTS: "2", LINE_EVENT_HOLD_MS: "60000" });
    held.line.handlers.register({ postback: async (_ctx, ev) => void bump(runs, (ev.source as { userId: string }).userId) });
  });
  afterAll(async () => {
    await held?.stop();
  });

  it("is parked without running again (a run that ends the process would end every process that took it), and a retry processes it", async () => {
    const user = lineUserId();
    const ev = lineEvent("postback", user, Date.now(), { postback: { data: "x" } });
    expect((await postWebhook(held.url, CH, webhookBody([ev]))).status).toBe(200);
    await held.worker.drain();
    // What a worker killed during the event's second and last attempt leaves: the job running on a lease
    // that has run out, its user's key free. A wake-up stands in for the next poll.
    await held.db.transaction(async (tx) => {
      const [job] = await tx.query<{ id: number; key: string }>(
        `UPDATE jobs j SET state = 'running', attempts = 2, run_at = now(), locked_until = now() - interval '1 second'
         FROM webhook_events e WHERE e.webhook_event_id = $1 AND j.kind = 'line.event' AND (j.payload->>'eventId')::bigint = e.id
         RETURNING j.id, j.ordering_key AS key`,
        [ev.webhookEventId],
      );
      expect(job).toBeDefined();
      await tx.query("UPDATE job_keys SET next_run_at = now(), locked_until = NULL WHERE key = $1", [job!.key]);
    });
    await held.db.query("SELECT pg_notify('tsunagu_jobs', '')");

    const heldAdmin = await signedIn(held, "admin@demo.example");
    const list = async (state?: string): Promise<EventJson[]> => (await heldAdmin.get(`/api/v1/admin/line/events${state ? `?state=${state}` : ""}`)).json.items;
    const parked = await waitFor(async () => (await list("failed")).find((e) => e.webhookEventId === ev.webhookEventId), 20_000, "the event to be parked");
    expect(parked.lastError).toContain("stopped during its last attempt");
    expect(runs.get(user)).toBeUndefined();

    expect((await retry(heldAdmin, parked.id)).status).toBe(200);
    await waitFor(async () => (await list()).find((e) => e.id === parked.id && e.state === "processed"), 20_000, "the retried event to be processed");
    await held.worker.drain();
    expect(runs.get(user)).toBe(1);
  });
});
