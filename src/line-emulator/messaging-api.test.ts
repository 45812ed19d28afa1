import crypto from "node:crypto";
import { channelAccessToken, HTTPFetchError, messagingApi } from "@line/bot-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControlClient } from "./control-client.ts";
import { startLineEmulator, type LineEmulator } from "./emulator.ts";
import { preloadSpecs, validateResponse } from "./spec.ts";
import { startWebhookReceiver, testChannel } from "./test-receiver.ts";

let emu: LineEmulator;
let control: EmulatorControlClient;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const channel = testChannel();
let client: messagingApi.MessagingApiClient;

async function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(new URL(path, emu.url), {
    method,
    headers: { authorization: `Bearer ${channel.accessToken}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** Every JSON answer is checked against LINE's OpenAPI document for that operation. */
function expectSpec(path: string, method: string, status: number, json: unknown) {
  expect(validateResponse(path, method, status, json).errors).toEqual([]);
}

async function friend(name = "Taro") {
  const user = await control.createUser({ displayName: name, statusMessage: "hello", language: "ja" });
  await control.follow(user.userId, channel.channelId);
  return user;
}

beforeAll(async () => {
  preloadSpecs();
  receiver = await startWebhookReceiver();
  emu = await startLineEmulator({ port: 0 });
  control = new EmulatorControlClient(emu.url);
  await control.registerChannel({ ...channel, webhookUrl: receiver.url });
  client = new messagingApi.MessagingApiClient({ channelAccessToken: channel.accessToken, baseURL: emu.url });
});
afterAll(async () => {
  await emu.close();
  await receiver.close();
});

describe("Messaging API over LINE's wire protocol", () => {
  it("pushes with the official SDK and records the sender in the chat", async () => {
    const user = await friend();
    const res = await client.pushMessageWithHttpInfo({
      to: user.userId,
      messages: [{ type: "text", text: "Hello from Sato", sender: { name: "Sato", iconUrl: "https://example.com/sato.png" } }],
    });
    expectSpec("/v2/bot/message/push", "post", 200, res.body);
    expect(res.httpResponse.headers.get("x-line-request-id")).toBeTruthy();
    expect(res.body.sentMessages[0]?.id).toMatch(/^\d+$/);
    const chat = await control.chat(user.userId, channel.channelId);
    expect(chat.at(-1)).toMatchObject({ from: "bot", via: "push", delivered: true, sender: { name: "Sato" }, message: { text: "Hello from Sato" } });
  });

  it("answers a repeated retry key with 409 and the accepted request id", async () => {
    const user = await friend();
    const key = crypto.randomUUID();
    const first = await client.pushMessageWithHttpInfo({ to: user.userId, messages: [{ type: "text", text: "once" }] }, key);
    const err = await client.pushMessage({ to: user.userId, messages: [{ type: "text", text: "once" }] }, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPFetchError);
    const httpErr = err as HTTPFetchError;
    expect(httpErr.status).toBe(409);
    expect(httpErr.headers.get("x-line-accepted-request-id")).toBe(first.httpResponse.headers.get("x-line-request-id"));
    const body = JSON.parse(httpErr.body) as unknown;
    expectSpec("/v2/bot/message/push", "post", 409, body);
    expect(body).toMatchObject({ message: "The retry key is already accepted", sentMessages: first.body.sentMessages });
    expect((await control.chat(user.userId, channel.channelId)).filter((e) => e.from === "bot")).toHaveLength(1);
  });

  it("rejects invalid bodies with LINE's {message, details} and a malformed retry key", async () => {
    const user = await friend();
    const bad = await raw("POST", "/v2/bot/message/push", { to: user.userId, messages: [{ type: "text", text: "" }, { type: "text", text: "x", sender: { name: "x".repeat(21) } }] });
    expect(bad.status).toBe(400);
    expectSpec("/v2/bot/message/push", "post", 400, bad.json);
    expect(bad.json?.details).toEqual([expect.objectContaining({ property: "messages[1].sender.name" })]);
    // LINE's documents allow an empty text; LINE itself (and the emulator) refuse it.
    const empty = await raw("POST", "/v2/bot/message/push", { to: user.userId, messages: [{ type: "text", text: "" }] });
    expect(empty.status).toBe(400);
    expect(empty.json?.details).toEqual([expect.objectContaining({ property: "messages[0].text" })]);
    const script = await raw("POST", "/v2/bot/message/push", { to: user.userId, messages: [{ type: "video", originalContentUrl: "javascript:alert(1)", previewImageUrl: "https://example.com/p.jpg" }] });
    expect(script.status).toBe(400);
    const six = await raw("POST", "/v2/bot/message/push", { to: user.userId, messages: Array.from({ length: 6 }, () => ({ type: "text", text: "x" })) });
    expect(six.status).toBe(400);
    const key = await raw("POST", "/v2/bot/message/push", { to: user.userId, messages: [{ type: "text", text: "x" }] }, { "x-line-retry-key": "nope" });
    expect(key.status).toBe(400);
    await control.clearViolations();
  });

  it("checks every request against LINE's OpenAPI documents: refused with 400 and recorded as a violation", async () => {
    const user = await friend();
    const card = (component: Record<string, unknown>) => ({
      to: user.userId,
      messages: [{ type: "flex", altText: "card", contents: { type: "bubble", body: { type: "box", layout: "vertical", contents: [component] } } }],
    });
    // A well-formed Flex card with a quick reply goes through and records nothing.
    const ok = await client.pushMessage({
      ...card({ type: "text", text: "Sato" }),
      messages: [
        {
          type: "text",
          text: "pick",
          quickReply: { items: [{ type: "action", action: { type: "postback", label: "Sato", data: "talk_to:1", displayText: "Sato" } }] },
        },
      ],
    });
    expect(ok.sentMessages).toHaveLength(1);
    expect(await control.violations()).toEqual([]);

    // The emulator's own message schema would take these; LINE's documents do not.
    const unknownComponent = await raw("POST", "/v2/bot/message/push", card({ type: "txt", text: "Sato" }));
    expect(unknownComponent.status).toBe(400);
    expectSpec("/v2/bot/message/push", "post", 400, unknownComponent.json);
    expect(unknownComponent.json).toMatchObject({ message: expect.stringMatching(/^The request body has \d+ error\(s\)$/) });
    expect(unknownComponent.json?.details).toEqual(expect.arrayContaining([expect.objectContaining({ property: "messages[0].contents.body.contents[0].type" })]));
    const noToken = await raw("POST", "/v2/bot/chat/markAsRead", {});
    expect(noToken.status).toBe(400);
    const unknownPath = await raw("GET", "/v2/bot/nothing-here");
    expect(unknownPath.status).toBe(404);

    const violations = await control.violations();
    expect(violations.map((v) => [v.method, v.path, v.operation])).toEqual([
      ["POST", "/v2/bot/message/push", "/v2/bot/message/push"],
      ["POST", "/v2/bot/chat/markAsRead", "/v2/bot/chat/markAsRead"],
      ["GET", "/v2/bot/nothing-here", undefined],
    ]);
    expect(violations[1]?.errors.join()).toMatch(/markAsReadToken/);
    await control.clearViolations();
    expect(await control.violations()).toEqual([]);
  });

  it("accepts a push to a user who blocked the account but does not deliver it", async () => {
    const user = await friend();
    await control.unfollow(user.userId, channel.channelId);
    const res = await client.pushMessage({ to: user.userId, messages: [{ type: "text", text: "are you there?" }] });
    expect(res.sentMessages).toHaveLength(1);
    expect((await control.chat(user.userId, channel.channelId)).at(-1)).toMatchObject({ delivered: false });
  });

  it("serves profiles of friends only: 404 after a block", async () => {
    const user = await friend("Hanako");
    const profile = await client.getProfile(user.userId);
    expectSpec("/v2/bot/profile/{userId}", "get", 200, profile);
    expect(profile).toMatchObject({ displayName: "Hanako", userId: user.userId, statusMessage: "hello", language: "ja" });
    await control.unfollow(user.userId, channel.channelId);
    const gone = await raw("GET", `/v2/bot/profile/${user.userId}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ message: "Not found" });
    await control.follow(user.userId, channel.channelId);
    expect((await client.getProfile(user.userId)).displayName).toBe("Hanako");
  });

  it("serves a profile picture URL after a photo is set", async () => {
    const user = await friend();
    const png = Buffer.from("89504e470d0a1a0a", "hex").toString("base64");
    await control.updateUser(user.userId, { pictureBase64: png, pictureContentType: "image/png" });
    const profile = await client.getProfile(user.userId);
    expectSpec("/v2/bot/profile/{userId}", "get", 200, profile);
    const pic = await fetch(profile.pictureUrl!);
    expect(pic.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await pic.arrayBuffer()).toString("base64")).toBe(png);
  });

  it("serves message content to the blob client", async () => {
    const user = await friend();
    const bytes = crypto.randomBytes(5000);
    const sent = await control.sendMessage(user.userId, channel.channelId, { type: "image", contentBase64: bytes.toString("base64"), contentType: "image/jpeg" });
    const blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: channel.accessToken, baseURL: emu.url });
    const res = await blob.getMessageContentWithHttpInfo(sent.messageId);
    expect(res.httpResponse.headers.get("content-type")).toBe("image/jpeg");
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    const transcoding = await blob.getMessageContentTranscodingByMessageId(sent.messageId);
    expect(validateResponse("/v2/bot/message/{messageId}/content/transcoding", "get", 200, transcoding).errors).toEqual([]);
    const other = testChannel();
    await control.registerChannel(other);
    const foreign = await fetch(`${emu.url}/v2/bot/message/${sent.messageId}/content`, { headers: { authorization: `Bearer ${other.accessToken}` } });
    expect(foreign.status).toBe(404);
  });

  it("serves bot info and the webhook endpoint settings", async () => {
    const info = await client.getBotInfo();
    expectSpec("/v2/bot/info", "get", 200, info);
    expect(info).toMatchObject({ basicId: channel.basicId, displayName: channel.botName });
    const endpoint = await client.getWebhookEndpoint();
    expectSpec("/v2/bot/channel/webhook/endpoint", "get", 200, endpoint);
    expect(endpoint).toEqual({ endpoint: receiver.url, active: true });
    const https = await raw("PUT", "/v2/bot/channel/webhook/endpoint", { endpoint: "http://example.com/hook" });
    expect(https.status).toBe(400);
    await client.setWebhookEndpoint({ endpoint: receiver.url });
    const before = receiver.received.length;
    const test = await client.testWebhookEndpoint({});
    expectSpec("/v2/bot/channel/webhook/test", "post", 200, test);
    expect(test).toMatchObject({ success: true, statusCode: 200 });
    await receiver.waitFor(before + 1);
    expect(receiver.received.at(-1)?.json.events).toEqual([]);
  });

  it("issues channel access tokens the API then accepts", async () => {
    const tokens = new channelAccessToken.ChannelAccessTokenClient({ baseURL: emu.url });
    const short = await tokens.issueChannelToken("client_credentials", channel.channelId, channel.channelSecret);
    expect(validateResponse("/v2/oauth/accessToken", "post", 200, short).errors).toEqual([]);
    const stateless = await tokens.issueStatelessChannelToken("client_credentials", undefined, undefined, channel.channelId, channel.channelSecret);
    expect(validateResponse("/oauth2/v3/token", "post", 200, stateless).errors).toEqual([]);
    for (const token of [short.access_token, stateless.access_token]) {
      const c = new messagingApi.MessagingApiClient({ channelAccessToken: token, baseURL: emu.url });
      expect((await c.getBotInfo()).basicId).toBe(channel.basicId);
    }
    expectSpec("/v2/bot/message/quota", "get", 200, await client.getMessageQuota());
    expectSpec("/v2/bot/message/quota/consumption", "get", 200, await client.getMessageQuotaConsumption());
    const wrong = await tokens.issueChannelToken("client_credentials", channel.channelId, "wrong").catch((e: unknown) => e);
    expect((wrong as HTTPFetchError).status).toBe(400);
  });

  it("answers 401 without a valid token, 404 for unknown routes, 413 over 2 MB", async () => {
    const unauth = await raw("GET", "/v2/bot/info", undefined, { authorization: "Bearer nope" });
    expect(unauth.status).toBe(401);
    expect(typeof unauth.json?.message).toBe("string");
    const unknown = await raw("GET", "/v2/bot/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ message: "Not found" });
    await control.clearViolations();
    const user = await friend();
    const big = await raw("POST", "/v2/bot/message/push", { to: user.userId, messages: [{ type: "text", text: "x".repeat(2 * 1024 * 1024) }] });
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ message: "Request Entity Too Large" });
    expect(big.res.headers.get("x-line-request-id")).toBeTruthy();
  });

  it("injects faults for retry tests", async () => {
    const user = await friend();
    await control.addFault({ path: "/v2/bot/message/push", status: 500, times: 1 });
    const failed = await client.pushMessage({ to: user.userId, messages: [{ type: "text", text: "x" }] }).catch((e: unknown) => e);
    expect((failed as HTTPFetchError).status).toBe(500);
    expect((await client.pushMessage({ to: user.userId, messages: [{ type: "text", text: "x" }] })).sentMessages).toHaveLength(1);
  });
});

describe("image messages: the emulator downloads them as the LINE app does", () => {
  it("records the formats and sizes it got, and a GIF or a preview over 1 MB as a violation", async () => {
    const { default: sharp } = await import("sharp");
    const { createServer } = await import("node:http");
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#336699" } }).jpeg().toBuffer();
    const gif = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#336699" } }).gif().toBuffer();
    // Noise does not compress: a PNG well over LINE's 1 MB preview limit.
    const bigPng = await sharp({ create: { width: 800, height: 800, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 60 } } })
      .png()
      .toBuffer();
    const files: Record<string, Buffer> = { "/photo.jpg": jpeg, "/anim.gif": gif, "/big.png": bigPng };
    const media = createServer((req, res) => {
      const body = files[req.url ?? ""];
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => media.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(media.address() as { port: number }).port}`;
    try {
      const user = await friend("Image Viewer");
      await control.clearViolations();
      await client.pushMessage({
        to: user.userId,
        messages: [
          { type: "image", originalContentUrl: `${base}/photo.jpg`, previewImageUrl: `${base}/photo.jpg` },
          { type: "image", originalContentUrl: `${base}/anim.gif`, previewImageUrl: `${base}/big.png` },
        ],
      });
      const images = await waitForMedia(user.userId, 2);
      expect(images[0]!.media).toMatchObject({
        originalContentUrl: { status: 200, format: "jpeg", bytes: jpeg.length },
        previewImageUrl: { status: 200, format: "jpeg", bytes: jpeg.length },
        problems: [],
      });
      expect(images[1]!.media!.problems).toEqual([
        "originalContentUrl: a gif image; LINE shows only JPEG or PNG",
        "previewImageUrl: more than 1000000 bytes, LINE's limit",
      ]);
      const violations = await control.violations();
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatchObject({ path: "/v2/bot/message/push", errors: images[1]!.media!.problems });
    } finally {
      await control.clearViolations();
      await new Promise((resolve) => media.close(resolve));
    }
  });
});

/** The bot's image entries once the emulator has downloaded all of them (it does so after answering the push). */
async function waitForMedia(userId: string, count: number) {
  const until = Date.now() + 15_000;
  for (;;) {
    const images = (await control.chat(userId, channel.channelId)).filter((e) => e.from === "bot" && e.message.type === "image");
    if (images.length === count && images.every((e) => e.media)) return images;
    if (Date.now() > until) throw new Error("the emulator did not download the images");
    await new Promise((r) => setTimeout(r, 50));
  }
}
