import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { webhook } from "@line/bot-sdk";
import { bootServer, signedIn, type TestServer } from "../../../test/support/server.ts";
import { TEST_CHANNEL, lineEvent, lineUserId, postWebhook, sign, waitFor, webhookBody } from "../../../test/support/line-webhooks.ts";

let server: TestServer;
const CH = TEST_CHANNEL.LINE_CHANNEL_ID;
/** Every event a domain handler saw, in the order it saw them (the seam used by real features). */
const seen: { type: string; userId: string; timestamp: number; webhookEventId: string }[] = [];

/**
 * An event every handler sees: a text from a LINE user with no member yet is a Message ID search,
 * which the invitations feature answers and consumes before this file's recorder would see it.
 */
const tap = (userId: string, timestamp: number) => lineEvent("postback", userId, timestamp, { postback: { data: "webhook-test" } });

const count = async (sql: string, params: unknown[] = []) => (await server.db.query<{ n: number }>(sql, params))[0]!.n;
/** Stored events, once every acknowledged delivery has left the ack's intake row. */
const eventRows = async () => {
  await server.worker.drain();
  return count("SELECT count(*) AS n FROM webhook_events");
};
const jobRows = () => count("SELECT count(*) AS n FROM jobs WHERE kind = 'line.event'");
/** Of these events, how many are stored, as events or still in the ack's intake row: one statement, one snapshot (a feed moves them atomically). */
const acknowledged = (ids: string[]) =>
  count(
    `SELECT count(*) AS n FROM (
       SELECT webhook_event_id FROM webhook_events WHERE webhook_event_id = ANY($1)
       UNION SELECT e->>'webhook_event_id' FROM line_intake, jsonb_array_elements(events) e WHERE e->>'webhook_event_id' = ANY($1)) acked`,
    [ids],
  );

beforeAll(async () => {
  // Two attempts keep the retry test short (production: 8); no hold, so worker.drain() sees every job as due.
  server = await bootServer({ ...TEST_CHANNEL, LINE_EVENT_MAX_ATTEMPTS: "2", LINE_EVENT_HOLD_MS: "0" });
  const record = async (_ctx: unknown, ev: webhook.Event) => {
    seen.push({ type: ev.type, userId: (ev.source as { userId: string }).userId, timestamp: ev.timestamp, webhookEventId: ev.webhookEventId });
  };
  server.line.handlers.register({ follow: record, unfollow: record, message: record, postback: record, unsend: record });
});
afterAll(async () => {
  await server?.stop();
});

describe("POST /line/webhook/:channelId", () => {
  it("refuses a bad signature with 401 and stores nothing", async () => {
    const before = [await eventRows(), await jobRows()];
    const body = webhookBody([lineEvent("message", lineUserId(), Date.now())]);
    const wrongKey = await postWebhook(server.url, CH, body, { secret: "not-the-channel-secret-000000000" });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.json).toMatchObject({ code: "invalid_signature", status: 401 });
    const missing = await postWebhook(server.url, CH, body, { signature: "" });
    expect(missing.status).toBe(401);
    // Signed correctly, then tampered with: the signature covers the exact bytes.
    const tampered = await postWebhook(server.url, CH, body.replace("hello", "HELLO"), { signature: sign(body, TEST_CHANNEL.LINE_CHANNEL_SECRET) });
    expect(tampered.status).toBe(401);
    expect([await eventRows(), await jobRows()]).toEqual(before);
  });

  it("reads the signature header in any letter case", async () => {
    for (const headerName of ["X-LINE-SIGNATURE", "x-line-signature", "X-Line-Signature"]) {
      const res = await postWebhook(server.url, CH, webhookBody([lineEvent("follow", lineUserId(), Date.now())]), { headerName });
      expect(res.status, headerName).toBe(200);
    }
  });

  it("answers 404 for a channel it does not know", async () => {
    const res = await postWebhook(server.url, "1999999999", webhookBody([]));
    expect(res.status).toBe(404);
  });

  it("answers an empty events list (LINE's Verify) with 200 and stores nothing", async () => {
    const before = await eventRows();
    const res = await postWebhook(server.url, CH, webhookBody([]));
    expect(res.status).toBe(200);
    expect(await eventRows()).toBe(before);
  });

  it("refuses malformed JSON with a valid signature with 400 and stores nothing", async () => {
    const before = [await eventRows(), await jobRows()];
    for (const body of ['{"destination":"x","events":[', "\xff\xfe not utf8", '{"events": "nope"}']) {
      const res = await postWebhook(server.url, CH, body);
      expect(res.status, body).toBe(400);
    }
    expect([await eventRows(), await jobRows()]).toEqual(before);
  });

  it("refuses an oversize body with 413 and stores nothing", async () => {
    const before = await eventRows();
    const pad = "x".repeat(1024 * 1024);
    const body = webhookBody([lineEvent("message", lineUserId(), Date.now(), { pad })]);
    const res = await postWebhook(server.url, CH, body);
    expect([413, -1]).toContain(res.status);
    if (res.status === 413) expect(res.json).toMatchObject({ code: "payload_too_large" });
    expect(await eventRows()).toBe(before);
  });

  it("counts a chunked body (no Content-Length) against the same limit: 413 over it, stored within it", async () => {
    const before = await eventRows();
    const pad = "x".repeat(1024 * 1024);
    const over = await postWebhook(server.url, CH, webhookBody([lineEvent("message", lineUserId(), Date.now(), { pad })]), { chunked: true });
    expect([413, -1]).toContain(over.status);
    if (over.status === 413) expect(over.json).toMatchObject({ code: "payload_too_large" });
    expect(await eventRows()).toBe(before);
    const within = await postWebhook(server.url, CH, webhookBody([tap(lineUserId(), Date.now())]), { chunked: true });
    expect(within).toMatchObject({ status: 200, json: { received: 1 } });
    await server.worker.drain();
    expect(await eventRows()).toBe(before + 1);
  });

  it("processes duplicated and redelivered events once", async () => {
    const user = lineUserId();
    const ev = tap(user, Date.now());
    const first = await postWebhook(server.url, CH, webhookBody([ev, ev]));
    expect(first.status).toBe(200);
    const redelivered = { ...ev, deliveryContext: { isRedelivery: true } };
    expect((await postWebhook(server.url, CH, webhookBody([redelivered]))).status).toBe(200);
    await server.worker.drain();
    expect((await postWebhook(server.url, CH, webhookBody([redelivered]))).status).toBe(200);
    await server.worker.drain();
    expect(seen.filter((s) => s.webhookEventId === ev.webhookEventId)).toHaveLength(1);
    expect(await count("SELECT count(*) AS n FROM webhook_events WHERE webhook_event_id = $1 AND state = 'processed'", [ev.webhookEventId])).toBe(1);
  });

  it("acknowledges concurrent deliveries (sharing statements) only with their events stored, each once, and processes each once", async () => {
    const users = [lineUserId(), lineUserId(), lineUserId()];
    const deliveries = Array.from({ length: 40 }, (_, i) => [tap(users[i % 3]!, Date.now() + i)]);
    // The same event twice in flight at once, as LINE's duplicates can come.
    deliveries.push(deliveries[0]!, deliveries[1]!);
    const answers = await Promise.all(deliveries.map((events) => postWebhook(server.url, CH, webhookBody(events))));
    expect(answers.map((a) => a.status)).toEqual(deliveries.map(() => 200));
    const ids = [...new Set(deliveries.map((d) => d[0]!.webhookEventId))];
    // Acknowledged means committed: every event is there (in the intake or already fed) before anything is processed.
    expect(await acknowledged(ids)).toBe(40);
    await server.worker.drain();
    const handled = seen.filter((s) => ids.includes(s.webhookEventId)).map((s) => s.webhookEventId);
    expect(handled.sort()).toEqual([...ids].sort());
  });

  it("feeds an acknowledged row whose other channel was deleted since: that channel's events go, the rest are processed", async () => {
    const [{ id: channelUuid }] = (await server.db.query<{ id: string }>("SELECT id FROM line_channels WHERE channel_id = $1", [CH])) as [{ id: string }];
    const kept = tap(lineUserId(), Date.now());
    const gone = tap(lineUserId(), Date.now());
    // The row the ack wrote for two deliveries (one to a channel deleted before the feed), as inbox.ts writes it.
    const row = (ev: ReturnType<typeof tap>, channel: string, lineChannelId: string) => ({
      webhook_event_id: ev.webhookEventId,
      channel_id: channel,
      event_type: ev.type,
      line_user_id: ev.source.userId,
      event_timestamp: new Date(ev.timestamp).toISOString(),
      event: ev,
      state: "pending",
      received_at: new Date().toISOString(),
      ordering_key: `${lineChannelId}:${ev.source.userId}`,
      run_at: null,
    });
    await server.db.query("INSERT INTO line_intake (event_count, events) VALUES (2, $1::jsonb)", [
      JSON.stringify([row(gone, "00000000-0000-4000-8000-000000000000", "1999999998"), row(kept, channelUuid, CH)]),
    ]);
    await server.worker.drain();
    expect(seen.map((s) => s.webhookEventId)).toContain(kept.webhookEventId);
    expect(seen.map((s) => s.webhookEventId)).not.toContain(gone.webhookEventId);
    expect(await count("SELECT count(*) AS n FROM webhook_events WHERE webhook_event_id = $1", [gone.webhookEventId])).toBe(0);
    expect(await count("SELECT count(*) AS n FROM line_intake")).toBe(0);
  });

  it("stores an unknown event type and marks it ignored, never a 500", async () => {
    const ev = lineEvent("somethingNewFromLine", lineUserId(), Date.now(), { novel: { nested: true } });
    const groupEv = { ...lineEvent("message", "ignored", Date.now()), source: { type: "group", groupId: "Cgroup" } };
    const res = await postWebhook(server.url, CH, webhookBody([ev, groupEv]));
    expect(res.status).toBe(200);
    await server.worker.drain();
    const rows = await server.db.query<{ state: string; event: { novel?: unknown } }>(
      "SELECT state, event FROM webhook_events WHERE webhook_event_id = ANY($1) ORDER BY id",
      [[ev.webhookEventId, groupEv.webhookEventId]],
    );
    expect(rows.map((r) => r.state)).toEqual(["ignored", "ignored"]);
    expect(rows[0]!.event.novel).toEqual({ nested: true });
    await server.worker.drain();
    expect(seen.some((s) => s.webhookEventId === ev.webhookEventId)).toBe(false);
  });
});

describe("event processing", () => {
  it("runs one user's events in timestamp order even when delivered out of order; a mixed batch processes each user", async () => {
    const [a, b] = [lineUserId(), lineUserId()];
    const t = Date.now() - 10_000;
    const events = [
      tap(a, t + 3),
      tap(b, t + 2),
      lineEvent("postback", a, t + 1, { postback: { data: "talk-to=sato" } }),
      tap(b, t + 1),
      lineEvent("follow", a, t, { follow: { isUnblocked: false } }),
      tap(b, t + 3),
    ];
    expect((await postWebhook(server.url, CH, webhookBody(events))).status).toBe(200);
    await server.worker.drain();
    const order = (u: string) => seen.filter((s) => s.userId === u).map((s) => s.timestamp - t);
    expect(order(a)).toEqual([0, 1, 3]);
    expect(order(b)).toEqual([1, 2, 3]);
    expect(seen.filter((s) => s.userId === a)[0]!.type).toBe("follow");
  });

  it("keeps line_users: follow → followed, unfollow → blocked, follow with isUnblocked → followed again", async () => {
    const u = lineUserId();
    const t = Date.now();
    const state = async () =>
      (await server.db.query<{ follow_state: string }>("SELECT follow_state FROM line_users WHERE user_id = $1", [u]))[0]?.follow_state;
    await postWebhook(server.url, CH, webhookBody([lineEvent("follow", u, t, { follow: { isUnblocked: false } })]));
    await server.worker.drain();
    expect(await state()).toBe("followed");
    await postWebhook(server.url, CH, webhookBody([lineEvent("unfollow", u, t + 1)]));
    await server.worker.drain();
    expect(await state()).toBe("blocked");
    await postWebhook(server.url, CH, webhookBody([lineEvent("follow", u, t + 2, { follow: { isUnblocked: true } })]));
    await server.worker.drain();
    expect(await state()).toBe("followed");
  });

  it("decides follow state by event time: a follow delivered after a newer unfollow is recorded but does not unblock", async () => {
    const u = lineUserId();
    const t = Date.now() - 60_000;
    const state = async () =>
      (await server.db.query<{ follow_state: string }>("SELECT follow_state FROM line_users WHERE user_id = $1", [u]))[0]?.follow_state;
    await postWebhook(server.url, CH, webhookBody([lineEvent("follow", u, t, { follow: { isUnblocked: false } })]));
    await server.worker.drain();
    await postWebhook(server.url, CH, webhookBody([lineEvent("unfollow", u, t + 2_000)]));
    await server.worker.drain();
    // LINE delivers an older follow long after the hold (a redelivery, a slow batch).
    const late = lineEvent("follow", u, t + 1_000, { follow: { isUnblocked: true } });
    expect((await postWebhook(server.url, CH, webhookBody([late]))).status).toBe(200);
    await server.worker.drain();
    expect(await state()).toBe("blocked");
    expect(await count("SELECT count(*) AS n FROM webhook_events WHERE webhook_event_id = $1 AND state = 'processed'", [late.webhookEventId])).toBe(1);
    expect(seen.some((s) => s.webhookEventId === late.webhookEventId)).toBe(false);
    // A newer follow still unblocks.
    await postWebhook(server.url, CH, webhookBody([lineEvent("follow", u, t + 3_000, { follow: { isUnblocked: true } })]));
    await server.worker.drain();
    expect(await state()).toBe("followed");
  });

  it("acknowledges a signed delivery with NUL and lone surrogates, stored once with U+FFFD", async () => {
    const u = lineUserId();
    const ev = lineEvent("message", u, Date.now(), {
      message: { id: "nul-1", type: "text", quoteToken: "q", text: "a\u0000b\ud800c" },
    });
    const body = webhookBody([ev]);
    const first = await postWebhook(server.url, CH, body);
    expect(first.status).toBe(200);
    expect((await postWebhook(server.url, CH, body)).status).toBe(200);
    await server.worker.drain();
    const rows = await server.db.query<{ state: string; event: { message: { text: string } } }>(
      "SELECT state, event FROM webhook_events WHERE webhook_event_id = $1",
      [ev.webhookEventId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: "processed", event: { message: { text: "a\uFFFDb\uFFFDc" } } });
  });

  it("refuses a signed delivery whose events is not an array with 400, and stores nothing", async () => {
    const before = await eventRows();
    for (const events of [{ type: "message" }, "message", null]) {
      const res = await postWebhook(server.url, CH, JSON.stringify({ destination: "Ubot", events }));
      expect(res.status, JSON.stringify(events)).toBe(400);
      expect(res.json).toMatchObject({ code: "validation_failed" });
    }
    expect(await eventRows()).toBe(before);
  });

  it("retries an event whose processing throws, then parks it as failed for admins", async () => {
    const u = lineUserId();
    const ev = lineEvent("postback", u, Date.now(), { postback: { data: "x" } });
    const later = tap(u, Date.now() + 5);
    let attempts = 0;
    const unregister = server.line.handlers.register({
      async postback(_ctx, e) {
        if (e.webhookEventId !== ev.webhookEventId) return;
        attempts += 1;
        throw new Error("room service unavailable");
      },
    });
    try {
      expect((await postWebhook(server.url, CH, webhookBody([ev, later]))).status).toBe(200);
      const admin = await signedIn(server, "admin@demo.example");
      const failed = await waitFor(async () => {
        const res = await admin.get("/api/v1/admin/line/events?state=failed");
        return res.json.items.find((i: { webhookEventId: string }) => i.webhookEventId === ev.webhookEventId);
      }, 20_000, "the event to be parked as failed");
      expect(attempts).toBe(2);
      expect(failed).toMatchObject({ type: "postback", lineUserId: u, channelId: CH, state: "failed" });
      expect(failed.lastError).toContain("room service unavailable");
      // The user's next event is not stuck behind the failed one.
      await waitFor(async () => seen.some((s) => s.webhookEventId === later.webhookEventId), 10_000, "the next event");

      const member = await signedIn(server, "sato@demo.example");
      const refused = await member.get("/api/v1/admin/line/events?state=failed");
      expect(refused.status).toBe(403);
    } finally {
      unregister();
    }
  });
});
