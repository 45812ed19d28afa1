import { messagingApi, validateSignature, HTTPFetchError } from "@line/bot-sdk";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EmulatorControlClient } from "./control-client.ts";
import { startLineEmulator, type LineEmulator } from "./emulator.ts";
import { preloadSpecs, validateResponse, validateWebhookBody } from "./spec.ts";
import { startWebhookReceiver, testChannel } from "./test-receiver.ts";

let emu: LineEmulator;
let control: EmulatorControlClient;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let clock = Date.now();
const channel = testChannel();
let client: messagingApi.MessagingApiClient;

beforeAll(async () => {
  preloadSpecs();
  // The reorder hold is long so a loaded machine cannot send the held delivery before the next one arrives;
  // the next one's arrival ends the hold at once.
  emu = await startLineEmulator({ port: 0, redeliveryDelaysMs: [100, 200, 400], reorderHoldMs: 30_000, now: () => clock });
  control = new EmulatorControlClient(emu.url);
  client = new messagingApi.MessagingApiClient({ channelAccessToken: channel.accessToken, baseURL: emu.url });
});
afterAll(() => emu.close());
beforeEach(async () => {
  clock = Date.now();
  receiver = await startWebhookReceiver();
  await control.registerChannel({ ...channel, webhookUrl: receiver.url });
  await control.setDelivery(channel.channelId, { redelivery: false, duplicate: false, reorder: false, batch: false });
});
afterEach(async () => {
  // Every body the emulator sent in a test must be a valid LINE webhook, correctly signed.
  for (const r of receiver.received) {
    expect(validateWebhookBody(r.json).errors).toEqual([]);
    expect(validateSignature(r.rawBody, channel.channelSecret, String(r.headers["x-line-signature"]))).toBe(true);
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(r.headers["user-agent"]).toBe("LineBotWebhook/2.0");
  }
  await receiver.close();
});

async function friend() {
  const user = await control.createUser({ displayName: "Kenji" });
  await control.follow(user.userId, channel.channelId);
  return user;
}

describe("webhooks", () => {
  it("sends follow, every message type, postback, unsend and unfollow as signed LINE webhooks", async () => {
    const user = await control.createUser({ displayName: "Yui" });
    await control.follow(user.userId, channel.channelId);
    const text = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "こんにちは" });
    await control.sendMessage(user.userId, channel.channelId, { type: "sticker", packageId: "446", stickerId: "1988" });
    await control.sendMessage(user.userId, channel.channelId, { type: "image", contentBase64: "AAAA", contentType: "image/png" });
    await control.sendMessage(user.userId, channel.channelId, { type: "video", contentBase64: "AAAA", contentType: "video/mp4" });
    await control.sendMessage(user.userId, channel.channelId, { type: "audio", contentBase64: "AAAA", contentType: "audio/m4a" });
    await control.sendMessage(user.userId, channel.channelId, { type: "file", contentBase64: "AAAA", contentType: "application/pdf", fileName: "a.pdf" });
    await control.sendMessage(user.userId, channel.channelId, { type: "location", title: "Tokyo Station", address: "Marunouchi", latitude: 35.68, longitude: 139.76 });
    await control.postback(user.userId, channel.channelId, "action=hello");
    await control.unsend(user.userId, channel.channelId, text.messageId);
    await control.unfollow(user.userId, channel.channelId);
    await control.follow(user.userId, channel.channelId);
    const got = await receiver.waitFor(12);
    const events = got.map((r) => r.json.events[0]!);
    expect(events.map((e) => e.type)).toEqual(["follow", ...Array(7).fill("message"), "postback", "unsend", "unfollow", "follow"]);
    expect(events[0]).toMatchObject({ mode: "active", source: { type: "user", userId: user.userId }, follow: { isUnblocked: false }, deliveryContext: { isRedelivery: false } });
    expect(events[1]).toMatchObject({ message: { type: "text", text: "こんにちは", id: text.messageId } });
    expect(events[3]).toMatchObject({ message: { type: "image", contentProvider: { type: "line" } } });
    expect(events[11]).toMatchObject({ follow: { isUnblocked: true } });
    expect(events[0]!.webhookEventId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const bot = await client.getBotInfo();
    expect(got.every((r) => r.json.destination === bot.userId)).toBe(true);
  });

  it("accepts a reply token once, within one minute, and never with a retry key", async () => {
    const user = await friend();
    const first = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "hi" });
    await client.replyMessage({ replyToken: first.replyToken!, messages: [{ type: "text", text: "x" }] });
    const reused = (await client.replyMessage({ replyToken: first.replyToken!, messages: [{ type: "text", text: "again" }] }).catch((e: unknown) => e)) as HTTPFetchError;
    expect(reused.status).toBe(400);
    const body = JSON.parse(reused.body) as unknown;
    expect(body).toEqual({ message: "Invalid reply token" });
    expect(validateResponse("/v2/bot/message/reply", "post", 400, body).errors).toEqual([]);

    const second = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "hi again" });
    clock += 61_000;
    const expired = (await client.replyMessage({ replyToken: second.replyToken!, messages: [{ type: "text", text: "late" }] }).catch((e: unknown) => e)) as HTTPFetchError;
    expect(expired.status).toBe(400);

    const third = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "third" });
    const res = await fetch(`${emu.url}/v2/bot/message/reply`, {
      method: "POST",
      headers: { authorization: `Bearer ${channel.accessToken}`, "content-type": "application/json", "x-line-retry-key": crypto.randomUUID() },
      body: JSON.stringify({ replyToken: third.replyToken, messages: [{ type: "text", text: "x" }] }),
    });
    expect(res.status).toBe(400);
    const ok = await client.replyMessageWithHttpInfo({ replyToken: third.replyToken!, messages: [{ type: "text", text: "fine" }] });
    expect(validateResponse("/v2/bot/message/reply", "post", 200, ok.body).errors).toEqual([]);
    const chat = await control.chat(user.userId, channel.channelId);
    expect(chat.filter((e) => e.via === "reply").map((e) => e.message.text)).toEqual(["x", "fine"]);
  });

  it("redelivers after a 500 with the same webhookEventId and isRedelivery:true", async () => {
    await control.setDelivery(channel.channelId, { redelivery: true });
    const user = await friend();
    const before = receiver.received.length;
    receiver.setResponder((n) => ({ status: n - before <= 2 ? 500 : 200 }));
    const sent = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "retry me" });
    expect(sent.delivery!.nextAttemptAt).toBeGreaterThan(sent.delivery!.at);
    const got = await receiver.waitFor(before + 3);
    const first = got[before]!.json.events[0]!;
    const again = got[before + 2]!.json.events[0]!;
    expect(first).toMatchObject({ webhookEventId: sent.webhookEventId, deliveryContext: { isRedelivery: false } });
    expect(again).toMatchObject({ webhookEventId: sent.webhookEventId, replyToken: sent.replyToken, deliveryContext: { isRedelivery: true } });
    // The receiver sees the request before the emulator has logged its answer.
    await vi.waitFor(async () => {
      const log = await control.deliveries(channel.channelId);
      expect(log.slice(-3).map((d) => [d.status, d.isRedelivery, d.nextAttemptAt !== undefined])).toEqual([
        [500, false, true],
        [500, true, true],
        [200, true, false],
      ]);
    });
  });

  it("does not redeliver when redelivery is off", async () => {
    const user = await friend();
    receiver.setResponder(() => ({ status: 503 }));
    const sent = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "lost" });
    expect(sent.delivery).toMatchObject({ status: 503, isRedelivery: false });
    expect(sent.delivery!.nextAttemptAt).toBeUndefined();
    expect(receiver.received).toHaveLength(2);
  });

  it("counts an answer slower than 2 s as a failed delivery", async () => {
    const user = await friend();
    receiver.setResponder(() => ({ status: 200, delayMs: 2300 }));
    const sent = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "slow" });
    expect(sent.delivery).toMatchObject({ status: 0, error: "timeout" });
    expect(sent.delivery!.durationMs).toBeGreaterThanOrEqual(1900);
  }, 15_000);

  it("duplicates, batches and reorders deliveries on request", async () => {
    const a = await friend();
    const b = await friend();
    await control.setDelivery(channel.channelId, { duplicate: true });
    await control.sendMessage(a.userId, channel.channelId, { type: "text", text: "twice" });
    const dup = (await receiver.waitFor(4)).slice(2);
    expect(dup[0]!.rawBody).toBe(dup[1]!.rawBody);

    await control.setDelivery(channel.channelId, { duplicate: false, batch: true });
    const [m1, m2] = await Promise.all([
      control.sendMessage(a.userId, channel.channelId, { type: "text", text: "from a" }),
      control.sendMessage(b.userId, channel.channelId, { type: "text", text: "from b" }),
    ]);
    const batch = (await receiver.waitFor(5)).at(-1)!;
    expect(batch.json.events.map((e) => e.webhookEventId).sort()).toEqual([m1.webhookEventId, m2.webhookEventId].sort());

    await control.setDelivery(channel.channelId, { batch: false, reorder: true });
    const first = control.sendMessage(a.userId, channel.channelId, { type: "text", text: "first" });
    // The chat shows a message once the emulator has it, and so holds its delivery.
    await vi.waitFor(async () => expect((await control.chat(a.userId, channel.channelId)).map((e) => e.message.text)).toContain("first"));
    const second = control.sendMessage(a.userId, channel.channelId, { type: "text", text: "second" });
    await Promise.all([first, second]);
    const swapped = (await receiver.waitFor(7)).slice(-2).map((r) => (r.json.events[0]!.message as { text: string }).text);
    expect(swapped).toEqual(["second", "first"]);
  });

  it("posts an empty verification webhook", async () => {
    const res = await control.verifyWebhook(channel.channelId);
    expect(res.delivery).toMatchObject({ status: 200, eventIds: [] });
    expect(receiver.received.at(-1)?.json.events).toEqual([]);
  });
});
