import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { lineEvent, postWebhook, waitFor, webhookBody } from "../../../test/support/line-webhooks.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import type { LineEventHandlers } from "./handlers.ts";

/**
 * The set-based drain (docs/decisions.md "Set-based drain") against the one-by-one path: the same
 * mixed stream of one LINE user's events, once taken set-based where it may be and once one by
 * one, leaves the same room, messages, events and live events.
 */
let server: TestServer;
let sato: ApiClient;
let channel: { channelId: string; channelSecret: string };

beforeAll(async () => {
  server = await bootServer();
  sato = await signedIn(server, "sato@demo.example");
  channel = JSON.parse(fs.readFileSync(path.join(server.dataDir, "line-channel.json"), "utf8")) as typeof channel;
});
afterAll(async () => {
  await server?.stop();
});

/** A LINE user befriended with sato through the invitation link: a room that exists, a fresh profile. */
async function friendOfSato() {
  const user = await emulatorOf(server).createUser({ displayName: "Same Name", language: "en" });
  await addFriendThroughLink((await sato.get("/api/v1/invitations/me")).json.url, user.userId);
  await server.worker.drain();
  const [room] = await server.db.query<{ id: string }>("SELECT r.id FROM rooms r JOIN line_users lu ON lu.id = r.line_user_id WHERE lu.user_id = $1", [user.userId]);
  return { userId: user.userId, roomId: room!.id };
}

const text = (id: string, t: string, extra: Record<string, unknown> = {}) => ({ message: { id, type: "text", text: t, quoteToken: "q" }, ...extra });
/** Over 100 UTF-16 units with surrogate pairs: the preview is cut where the one-by-one path cuts it. */
const LONG = `${"😀".repeat(60)} end`;

/**
 * One LINE user's stream at fixed times: plain messages that qualify first (a duplicate delivery
 * of a message id, a long text, a standby one, a word that looks like a Message ID but names no
 * member), then a Message ID that names a member (consumed by invitations), a postback and an
 * unsend, which each run alone, and a text after them, which qualifies again.
 */
function stream(userId: string, t0: number) {
  let t = t0;
  const ev = (type: string, extra: Record<string, unknown> = {}) => lineEvent(type, userId, (t += 1000), extra);
  const qualifying = [
    ev("message", text("m1", "hello")),
    ev("message", { message: { id: "m2", type: "sticker", packageId: "446", stickerId: "1990", stickerResourceType: "STATIC" } }),
    ev("message", { message: { id: "m3", type: "location", title: "Office", address: "Tokyo", latitude: 35.6, longitude: 139.7 } }),
    ev("message", text("m1", "hello")),
    ev("message", text("m4", LONG)),
    ev("message", text("m5", "read along", { mode: "standby" })),
    ev("message", text("m6", "thanks")),
  ];
  const rest = [ev("message", text("m7", "sato")), ev("postback", { postback: { data: "x" } }), ev("unsend", { unsend: { messageId: "m6" } }), ev("message", text("m8", "bye"))];
  return { events: [...qualifying, ...rest], qualifying: qualifying.length };
}

/** What a room shows after its stream, free of ids and of when the server processed it. */
async function outcome(roomId: string, userId: string, liveSince: number) {
  const [room] = await server.db.query(
    "SELECT unread_count, last_message_preview, last_message_type, last_message_sticker_id, last_activity_at FROM rooms WHERE id = $1",
    [roomId],
  );
  const messages = await server.db.query(
    `SELECT direction, type, payload, line_message_id, delivery_state, content_state, created_at, unsent_at IS NOT NULL AS unsent
     FROM messages WHERE room_id = $1 AND direction = 'inbound' ORDER BY created_at, line_message_id`,
    [roomId],
  );
  const events = await server.db.query(
    `SELECT e.event_type, e.state, e.attempts, e.last_error, e.event->'message'->>'id' AS message_id FROM webhook_events e
     JOIN line_channels c ON c.id = e.channel_id WHERE e.line_user_id = $1 AND e.event->>'timestamp' IS NOT NULL ORDER BY e.event_timestamp, e.id`,
    [userId],
  );
  const live = await server.db.query<{ type: string; data: Record<string, unknown> }>(
    "SELECT type, data FROM realtime_events WHERE data->>'roomId' = $1 AND id > $2 ORDER BY id",
    [roomId, liveSince],
  );
  const ids = new Map((await server.db.query<{ id: string; line_message_id: string }>("SELECT id, line_message_id FROM messages WHERE room_id = $1", [roomId])).map((m) => [m.id, m.line_message_id]));
  return {
    room,
    messages,
    events,
    live: live.map((e) => ({ type: e.type, data: { ...e.data, roomId: "room", messageId: ids.get(String(e.data.messageId)) ?? e.data.messageId } })),
  };
}

const lastLiveEvent = async () => (await server.db.query<{ id: number }>("SELECT coalesce(max(id), 0) AS id FROM realtime_events"))[0]!.id;

async function deliver(events: unknown[]) {
  const body = webhookBody(events);
  expect((await postWebhook(server.url, channel.channelId, body, { secret: channel.channelSecret })).status).toBe(200);
  const ids = events.map((e) => (e as { webhookEventId: string }).webhookEventId);
  await waitFor(
    async () => (await server.db.query<{ n: number }>("SELECT count(*) AS n FROM webhook_events WHERE webhook_event_id = ANY($1) AND state = 'pending'", [ids]))[0]!.n === 0,
    30_000,
    "the stream to be processed",
  );
  await server.worker.drain();
  // Live events reach realtime_events through the outbox's sequencer.
  await waitFor(async () => (await server.db.query<{ n: number }>("SELECT count(*) AS n FROM realtime_outbox"))[0]!.n === 0, 30_000, "the outbox to be sequenced");
}

describe("the set-based drain", () => {
  it("leaves the room, its messages, the events and the live events exactly as one by one, and keeps each LINE user's order", async () => {
    const fast = await friendOfSato();
    const slow = await friendOfSato();
    const t0 = Date.now() + 60_000;

    // A feature that watches: which messages reached it set-based, and which one by one.
    const seen = { many: 0, one: [] as string[] };
    const watcher: LineEventHandlers = {
      async message(_ctx, ev) {
        seen.one.push(ev.message.id);
      },
      async messages(_tx, batch) {
        return { accepts: batch.map(() => true), apply: async (indexes) => void (seen.many += indexes.length) };
      },
    };
    const unwatch = server.line.handlers.register(watcher);
    const fastSince = await lastLiveEvent();
    const a = stream(fast.userId, t0);
    await deliver(a.events);
    unwatch();
    // m7 (consumed by invitations, registered before the watcher), the postback and the unsend ran
    // alone; m8 after them was claimed again and taken set-based.
    expect(seen.many).toBe(a.qualifying + 1);
    expect(seen.one).toEqual([]);

    // A feature that handles messages one by one only: the whole stream goes one by one.
    const unforce = server.line.handlers.register({ async message() {} });
    const slowSince = await lastLiveEvent();
    await deliver(stream(slow.userId, t0).events);
    unforce();

    const got = await outcome(fast.roomId, fast.userId, fastSince);
    expect(got).toEqual(await outcome(slow.roomId, slow.userId, slowSince));
    // The comparison has something to compare: six stored (m1 once), m6 unsent, m7 consumed, and the live events.
    expect(got.room).toMatchObject({ unread_count: 7, last_message_preview: "bye", last_message_type: "text" });
    expect(got.messages.map((m) => m.line_message_id)).toEqual(["m1", "m2", "m3", "m4", "m5", "m6", "m8"]);
    expect(got.live.filter((e) => e.type === "message.created")).toHaveLength(7);
    expect(got.events.every((e) => e.state === "processed" && e.attempts === 1 && e.last_error === null)).toBe(true);
  }, 120_000);

  it("runs a batch whose set-based transaction fails one by one instead: every message stored once, no attempt spent", async () => {
    const user = await friendOfSato();
    let failures = 0;
    const one: string[] = [];
    const unregister = server.line.handlers.register({
      async message(_ctx, ev) {
        one.push(ev.message.id);
      },
      async messages(_tx, batch) {
        return {
          accepts: batch.map(() => true),
          async apply() {
            failures++;
            throw new Error("set-based store fails");
          },
        };
      },
    });
    const t0 = Date.now() + 120_000;
    const events = ["f1", "f2", "f3"].map((id, i) => lineEvent("message", user.userId, t0 + i, text(id, `fallback ${id}`)));
    await deliver(events);
    unregister();
    expect(failures).toBeGreaterThanOrEqual(1);
    // The rooms feature stored them before the failing one, in the transaction that was rolled back, and again one by one: once each.
    expect(one).toEqual(["f1", "f2", "f3"]);
    const [room] = await server.db.query<{ unread_count: number; last_message_preview: string }>("SELECT unread_count, last_message_preview FROM rooms WHERE id = $1", [user.roomId]);
    expect(room).toMatchObject({ unread_count: 3, last_message_preview: "fallback f3" });
    const stored = await server.db.query<{ line_message_id: string }>("SELECT line_message_id FROM messages WHERE room_id = $1 AND direction = 'inbound' ORDER BY created_at", [user.roomId]);
    expect(stored.map((m) => m.line_message_id)).toEqual(["f1", "f2", "f3"]);
    const states = await server.db.query<{ state: string; attempts: number }>("SELECT state, attempts FROM webhook_events WHERE webhook_event_id = ANY($1)", [
      events.map((e) => e.webhookEventId),
    ]);
    expect(states).toEqual(events.map(() => ({ state: "processed", attempts: 1 })));
  }, 120_000);
});
