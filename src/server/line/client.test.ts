import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControlClient } from "../../line-emulator/control-client.ts";
import { bootServer, type TestServer } from "../../../test/support/server.ts";
import { waitFor } from "../../../test/support/line-webhooks.ts";
import type { ProfileChange } from "./handlers.ts";
import { createLineClient } from "./client.ts";
import { lineRepository, type ChannelRow } from "./repository.ts";

// A 1×1 PNG, as a LINE profile picture.
const PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

let server: TestServer;
let emulator: EmulatorControlClient;
let channel: ChannelRow;
const changes: ProfileChange[] = [];
const texts: { userId: string; text: string; timestamp: number }[] = [];

beforeAll(async () => {
  // Profiles go stale after ~0.4 s here, so the "stale" path can be seen within a test.
  server = await bootServer({ LINE_PROFILE_REFRESH_SECONDS: "0.4" });
  emulator = new EmulatorControlClient(server.lineEmulator!.url);
  channel = (await lineRepository.channelByLineId(server.db, server.demoLineChannelId!))!;
  server.line.handlers.register({
    async profileChanged(_ctx, change) {
      changes.push(change);
    },
    async message(ctx, ev) {
      if (ev.message.type === "text") texts.push({ userId: ctx.lineUser.user_id, text: ev.message.text, timestamp: ev.timestamp });
    },
  });
});
afterAll(async () => {
  await server?.stop();
});

async function friend(displayName: string) {
  const user = await emulator.createUser({ displayName, pictureBase64: PNG_B64, pictureContentType: "image/png", statusMessage: "hi" });
  await emulator.follow(user.userId, channel.channel_id);
  const row = await waitFor(
    async () => {
      const u = await lineRepository.lineUserByUserId(server.db, channel.id, user.userId);
      return u?.follow_state === "followed" && u.picture_file_key ? u : undefined;
    },
    15_000,
    "the follow to be processed and the avatar cached",
  );
  return { user, row };
}

describe("outbound client on @line/bot-sdk against the emulator", () => {
  it("runs the emulator beside the server, reachable from /__line, with the demo channel's webhook set through the API", async () => {
    const res = await fetch(`${server.url}/__line`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${server.lineEmulator!.url}/`);
    const endpoint = await (
      await fetch(`${server.lineEmulator!.url}/v2/bot/channel/webhook/endpoint`, {
        headers: { authorization: `Bearer ${await server.line.channels.accessToken(channel)}` },
      })
    ).json();
    expect(endpoint).toMatchObject({ endpoint: `${server.url}/line/webhook/${channel.channel_id}`, active: true });
  });

  it("syncs the profile on follow and caches the avatar from an allowed host", async () => {
    const { user, row } = await friend("Profile Hanako");
    expect(row).toMatchObject({ display_name: "Profile Hanako", status_message: "hi", follow_state: "followed" });
    expect(row.picture_url).toMatch(new RegExp(`^${server.lineEmulator!.url}/`));
    const avatar = await server.line.profiles.avatar(row);
    expect(avatar?.type).toBe("image/png");
    expect(Buffer.from(avatar!.bytes).toString("base64")).toBe(PNG_B64);

    // The user renames themselves on LINE; the next event after the copy goes stale syncs it.
    await emulator.updateUser(user.userId, { displayName: "Profile Hanako 2" });
    // The copy goes stale by age: make it older than LINE_PROFILE_REFRESH_SECONDS instead of waiting that long.
    await server.db.query("UPDATE line_users SET synced_at = synced_at - interval '1 hour' WHERE user_id = $1", [user.userId]);
    await emulator.sendMessage(user.userId, channel.channel_id, { type: "text", text: "renamed" });
    const change = await waitFor(
      async () => changes.find((c) => c.after.user_id === user.userId && c.after.display_name === "Profile Hanako 2"),
      15_000,
      "the profile change hook",
    );
    expect(change.before.display_name).toBe("Profile Hanako");
  });

  it("pushes with the member's sender name and icon; the LINE user sees it", async () => {
    const { user } = await friend("Push Taro");
    const client = await server.line.channels.clientFor(channel);
    const result = await client.push(user.userId, [{ type: "text", text: "Hello from Sato" }], {
      sender: { name: "佐藤 花子", iconUrl: "https://tsunagu.example/api/v1/members/x/photo.png" },
      retryKey: crypto.randomUUID(),
    });
    expect(result).toMatchObject({ state: "sent", alreadyAccepted: false, via: "push" });
    const chat = await emulator.chat(user.userId, channel.channel_id);
    const got = chat.filter((e) => e.from === "bot");
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ via: "push", delivered: true, message: { type: "text", text: "Hello from Sato" } });
    expect(got[0]!.sender).toEqual({ name: "佐藤 花子", iconUrl: "https://tsunagu.example/api/v1/members/x/photo.png" });
  });

  it("retries a push that failed with 500 with the same retry key, and it is delivered once; 409 counts as sent", async () => {
    const { user } = await friend("Retry Jiro");
    const client = await server.line.channels.clientFor(channel);
    const retryKey = crypto.randomUUID();
    await emulator.addFault({ path: "/v2/bot/message/push", status: 500, times: 1 });
    const first = await client.push(user.userId, [{ type: "text", text: "once" }], { retryKey });
    expect(first).toMatchObject({ state: "sent", alreadyAccepted: false });
    // The caller retries later with the key it stored with its message: LINE answers 409.
    const again = await client.push(user.userId, [{ type: "text", text: "once" }], { retryKey });
    expect(again).toMatchObject({ state: "sent", alreadyAccepted: true, requestId: first.state === "sent" ? first.requestId : "" });
    const texts = (await emulator.chat(user.userId, channel.channel_id)).filter((e) => e.from === "bot").map((e) => e.message.text);
    expect(texts).toEqual(["once"]);
  });

  it("gives up on a LINE that does not answer within the deadline and pushes again with the same retry key: delivered once", async () => {
    const { user } = await friend("Hung Goro");
    const url = server.lineEmulator!.url;
    const client = createLineClient({
      endpoints: { apiBaseUrl: url, dataApiBaseUrl: url, loginBaseUrl: url, authorizeBaseUrl: url },
      accessToken: await server.line.channels.accessToken(channel),
      retry: { delaysMs: [0] },
      deadlineMs: 300,
    });
    const pushes = async () => (await emulator.requests()).filter((r) => r.path === "/v2/bot/message/push").length;
    const before = await pushes();
    await emulator.addHold({ path: "/v2/bot/message/push", times: 1 });
    const res = await client.push(user.userId, [{ type: "text", text: "despite the hang" }], { retryKey: crypto.randomUUID() });
    expect(res).toMatchObject({ state: "sent", alreadyAccepted: false });
    expect(await emulator.holds()).toEqual({ held: 1 });
    // The abandoned first request reaches LINE after all: its retry key makes it a 409, not a second message.
    expect(await emulator.releaseHolds()).toEqual({ released: 1 });
    await waitFor(async () => (await pushes()) === before + 2 || undefined, 10_000, "the held push to be answered");
    const texts = (await emulator.chat(user.userId, channel.channel_id)).filter((e) => e.from === "bot").map((e) => e.message.text);
    expect(texts).toEqual(["despite the hang"]);
  });

  it("maps a 4xx onto a failed delivery with LINE's reason, without retrying", async () => {
    const { user } = await friend("Bad Request Saburo");
    const client = await server.line.channels.clientFor(channel);
    await emulator.addFault({ path: "/v2/bot/message/push", status: 400, times: 1 });
    const res = await client.push(user.userId, [{ type: "text", text: "x" }], { retryKey: crypto.randomUUID() });
    expect(res).toMatchObject({ state: "failed", status: 400 });
    expect((await emulator.chat(user.userId, channel.channel_id)).filter((e) => e.from === "bot")).toEqual([]);
  });

  it("replies with a reply token, and falls back to push once the token is used", async () => {
    const { user } = await friend("Reply Shiro");
    // A sticker: a text from someone without a friendship would be answered by the Message ID search.
    const sent = await emulator.sendMessage(user.userId, channel.channel_id, { type: "sticker", packageId: "446", stickerId: "1988" });
    const client = await server.line.channels.clientFor(channel);
    const r1 = await client.reply(sent.replyToken!, [{ type: "text", text: "answer" }]);
    expect(r1).toMatchObject({ state: "sent", via: "reply" });
    const r2 = await client.reply(sent.replyToken!, [{ type: "text", text: "late answer" }], {
      fallback: { to: user.userId, retryKey: crypto.randomUUID() },
    });
    expect(r2).toMatchObject({ state: "sent", via: "push" });
    const bot = (await emulator.chat(user.userId, channel.channel_id)).filter((e) => e.from === "bot");
    expect(bot.map((e) => [e.via, e.message.text])).toEqual([
      ["reply", "answer"],
      ["push", "late answer"],
    ]);
  });

  it("reads profiles (404 = blocked or left), message content and bot info", async () => {
    const { user } = await friend("Content Goro");
    const client = await server.line.channels.clientFor(channel);
    expect((await client.getProfile(user.userId))?.displayName).toBe("Content Goro");
    await emulator.unfollow(user.userId, channel.channel_id);
    expect(await client.getProfile(user.userId)).toBeUndefined();
    expect((await client.botInfo()).basicId).toBe(channel.basic_id);

    const { user: u2 } = await friend("Photo Rokuro");
    const sent = await emulator.sendMessage(u2.userId, channel.channel_id, { type: "image", contentBase64: PNG_B64, contentType: "image/png" });
    const content = await client.openContent(sent.messageId);
    const chunks: Buffer[] = [];
    for await (const chunk of content.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString("base64")).toBe(PNG_B64);
  });

  it("runs one user's messages in the order they were sent when the emulator reorders and duplicates deliveries", async () => {
    const { user, row } = await friend("Reorder Nanako");
    // Sato's Message ID first: without a member, every text would be taken as a Message ID search.
    await emulator.sendMessage(user.userId, channel.channel_id, { type: "text", text: "sato" });
    await waitFor(
      async () => (await server.db.query("SELECT 1 FROM friendships WHERE line_user_id = $1", [row.id])).length > 0,
      15_000,
      "the Message ID search to befriend sato",
    );
    await emulator.setDelivery(channel.channel_id, { reorder: true, duplicate: true });
    try {
      for (const text of ["one", "two", "three", "four"]) await emulator.sendMessage(user.userId, channel.channel_id, { type: "text", text });
      await emulator.setDelivery(channel.channel_id, { reorder: false, duplicate: false });
      // A sentinel sent last, in order: once it is handled, every delivery before it has been.
      await emulator.sendMessage(user.userId, channel.channel_id, { type: "text", text: "sentinel" });
      const seen = await waitFor(
        async () => {
          const mine = texts.filter((t) => t.userId === user.userId);
          return mine.some((t) => t.text === "sentinel") ? mine : undefined;
        },
        30_000,
        "the sentinel message",
      );
      expect(seen.map((t) => t.text)).toEqual(["one", "two", "three", "four", "sentinel"]);
      expect(seen.map((t) => t.timestamp)).toEqual([...seen.map((t) => t.timestamp)].sort((a, b) => a - b));
    } finally {
      await emulator.setDelivery(channel.channel_id, { reorder: false, duplicate: false });
    }
  });
});
