import { Hono } from "hono";
import type { LinePlatform } from "../platform.ts";
import type { ChannelState } from "../state.ts";
import { lineValidationError, pushRequest, replyRequest } from "./message-schema.ts";

export type BotEnv = { Variables: { channel: ChannelState; requestId: string } };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AUTH_FAILED = { message: "Authentication failed. Confirm that the access token in the authorization header is valid." };

async function readJson(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    return undefined;
  }
}

/** The Messaging API paths the connector uses, at LINE's paths on the emulator's origin. */
export function messagingRoutes(platform: LinePlatform) {
  const app = new Hono<BotEnv>();

  app.use("/v2/bot/*", async (c, next) => {
    const auth = c.req.header("authorization") ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
    const channel = token ? platform.channelForToken(token) : undefined;
    if (!channel) return c.json(AUTH_FAILED, 401);
    c.set("channel", channel);
    await next();
  });

  app.post("/v2/bot/message/push", async (c) => {
    const channel = c.get("channel");
    const retryKey = c.req.header("x-line-retry-key");
    if (retryKey !== undefined && !UUID.test(retryKey)) return c.json({ message: "The value of the X-Line-Retry-Key header is invalid" }, 400);
    const parsed = pushRequest.safeParse(await readJson(c.req.raw));
    if (!parsed.success) return c.json(lineValidationError(parsed.error), 400);
    if (retryKey) {
      const accepted = platform.acceptedRetry(channel.channelId, retryKey);
      if (accepted) {
        c.header("x-line-accepted-request-id", accepted.requestId);
        return c.json({ message: "The retry key is already accepted", sentMessages: accepted.sentMessages }, 409);
      }
    }
    const sentMessages = platform.deliverBotMessages(channel, parsed.data.to, parsed.data.messages, "push");
    if (retryKey) platform.rememberRetry(channel.channelId, retryKey, c.get("requestId"), sentMessages);
    return c.json({ sentMessages });
  });

  app.post("/v2/bot/message/reply", async (c) => {
    const channel = c.get("channel");
    // LINE does not support retry keys on reply: the header alone makes the request a 400.
    if (c.req.header("x-line-retry-key") !== undefined) {
      return c.json({ message: "The X-Line-Retry-Key header cannot be used with this API" }, 400);
    }
    const parsed = replyRequest.safeParse(await readJson(c.req.raw));
    if (!parsed.success) return c.json(lineValidationError(parsed.error), 400);
    const token = platform.consumeReplyToken(channel.channelId, parsed.data.replyToken);
    if (!token) return c.json({ message: "Invalid reply token" }, 400);
    return c.json({ sentMessages: platform.deliverBotMessages(channel, token.userId, parsed.data.messages, "reply") });
  });

  app.get("/v2/bot/profile/:userId", (c) => {
    const channel = c.get("channel");
    const userId = c.req.param("userId");
    const persona = platform.state.personas.get(userId);
    // LINE only shows profiles of users who are friends and have not blocked the account.
    if (!persona || !platform.state.isFriend(channel.channelId, userId)) return c.json({ message: "Not found" }, 404);
    const pictureUrl = platform.pictureUrl(persona);
    return c.json({
      displayName: persona.displayName,
      userId: persona.userId,
      ...(pictureUrl ? { pictureUrl } : {}),
      ...(persona.statusMessage ? { statusMessage: persona.statusMessage } : {}),
      ...(persona.language ? { language: persona.language } : {}),
    });
  });

  app.get("/v2/bot/followers/ids", (c) => {
    const channel = c.get("channel");
    const userIds = [...platform.state.friendships.values()]
      .filter((f) => f.channelId === channel.channelId && f.status === "friend")
      .map((f) => f.userId);
    return c.json({ userIds });
  });

  /** Content a user sent to this channel (other channels' content is invisible, as on LINE). */
  const contentOf = (channelId: string, messageId: string) => {
    const content = platform.state.content.get(messageId);
    const entry = content && platform.state.chat.find((e) => e.id === messageId);
    return content && entry?.channelId === channelId ? content : undefined;
  };

  // The emulator keeps no separate preview renditions: previews are the original bytes.
  for (const suffix of ["", "/preview"]) {
    app.get(`/v2/bot/message/:messageId/content${suffix}`, (c) => {
      const content = contentOf(c.get("channel").channelId, c.req.param("messageId"));
      if (!content) return c.json({ message: "Not found" }, 404);
      const bytes = Buffer.from(content.base64, "base64");
      return c.body(bytes, 200, { "content-type": content.contentType, "content-length": String(bytes.length) });
    });
  }

  app.get("/v2/bot/message/:messageId/content/transcoding", (c) =>
    contentOf(c.get("channel").channelId, c.req.param("messageId")) ? c.json({ status: "succeeded" }) : c.json({ message: "Not found" }, 404),
  );

  app.get("/v2/bot/message/quota", (c) => c.json({ type: "none" }));
  app.get("/v2/bot/message/quota/consumption", (c) => {
    const monthStart = new Date(platform.now());
    monthStart.setUTCDate(1);
    monthStart.setUTCHours(0, 0, 0, 0);
    const pushes = platform.state.chat.filter((e) => e.channelId === c.get("channel").channelId && e.via === "push" && e.at >= monthStart.getTime());
    return c.json({ totalUsage: pushes.length });
  });

  app.post("/v2/bot/chat/loading/start", async (c) => {
    const body = (await readJson(c.req.raw)) as { chatId?: unknown; loadingSeconds?: unknown } | undefined;
    const seconds = body?.loadingSeconds ?? 20;
    if (typeof body?.chatId !== "string" || typeof seconds !== "number" || seconds < 5 || seconds > 60 || seconds % 5 !== 0) {
      return c.json({ message: "The request body has 1 error(s)", details: [{ message: "invalid chatId or loadingSeconds", property: "chatId" }] }, 400);
    }
    platform.showLoading(c.get("channel").channelId, body.chatId, seconds);
    return c.json({}, 202);
  });

  app.post("/v2/bot/chat/markAsRead", async (c) => {
    const body = (await readJson(c.req.raw)) as { markAsReadToken?: unknown } | undefined;
    const token = typeof body?.markAsReadToken === "string" ? body.markAsReadToken : "";
    if (!platform.markAsRead(c.get("channel").channelId, token)) return c.json({ message: "Invalid markAsReadToken" }, 400);
    return c.json({});
  });

  app.get("/v2/bot/info", (c) => {
    const ch = c.get("channel");
    return c.json({ userId: ch.botUserId, basicId: ch.basicId, displayName: ch.botName, chatMode: "bot", markAsReadMode: "auto" });
  });

  app.get("/v2/bot/channel/webhook/endpoint", (c) => {
    const ch = c.get("channel");
    // The spec requires `endpoint`; LINE answers "" when none is set.
    return c.json({ endpoint: ch.webhookUrl ?? "", active: Boolean(ch.webhookUrl) && ch.webhookActive });
  });

  app.put("/v2/bot/channel/webhook/endpoint", async (c) => {
    const ch = c.get("channel");
    const body = (await readJson(c.req.raw)) as { endpoint?: unknown } | undefined;
    const endpoint = body?.endpoint;
    if (typeof endpoint !== "string" || !acceptableWebhookUrl(endpoint)) {
      return c.json({ message: "Invalid webhook endpoint URL", details: [{ message: "must be an HTTPS URL (or http on localhost in the emulator)", property: "endpoint" }] }, 400);
    }
    ch.webhookUrl = endpoint;
    platform.state.save();
    return c.json({});
  });

  app.post("/v2/bot/channel/webhook/test", async (c) => {
    const ch = c.get("channel");
    const body = (await readJson(c.req.raw)) as { endpoint?: unknown } | undefined;
    const endpoint = typeof body?.endpoint === "string" && body.endpoint ? body.endpoint : ch.webhookUrl;
    if (!endpoint) return c.json({ message: "The webhook URL is not set" }, 400);
    const r = await platform.webhooks.verify(ch.channelId, endpoint);
    return c.json({
      success: Boolean(r && r.status >= 200 && r.status < 300),
      timestamp: new Date(r?.at ?? Date.now()).toISOString(),
      statusCode: r?.status ?? 0,
      reason: r?.error ?? (r && r.status < 300 ? "OK" : "ERROR"),
      detail: String(r?.status ?? 0),
    });
  });

  return app;
}

/** Real LINE accepts HTTPS only; the emulator also takes http on loopback so local runs work. */
export function acceptableWebhookUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (raw.length > 500) return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}
