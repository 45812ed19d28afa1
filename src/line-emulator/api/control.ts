import { Hono } from "hono";
import { z } from "zod";
import { PlatformError, type LinePlatform, type UserAction } from "../platform.ts";
import { DISPLAY_NAME_MAX, type EmulatorChannel, type Persona } from "../state.ts";

const channelInput = z.object({
  channelId: z.string().regex(/^\d+$/),
  channelSecret: z.string().min(1),
  accessToken: z.string().min(1),
  basicId: z.string().min(1),
  botName: z.string().min(1),
  loginChannelId: z.string().regex(/^\d+$/),
  loginChannelSecret: z.string().min(1),
  webhookUrl: z.string().url().optional(),
});
const deliveryInput = z.object({ redelivery: z.boolean(), duplicate: z.boolean(), reorder: z.boolean(), batch: z.boolean() }).partial();
const userInput = z.object({
  displayName: z.string().min(1).max(DISPLAY_NAME_MAX),
  statusMessage: z.string().max(500).optional(),
  pictureBase64: z.string().optional(),
  pictureContentType: z.string().optional(),
  language: z.string().optional(),
});
const media = z.object({ type: z.enum(["image", "video", "audio", "file"]), contentBase64: z.string().min(1), contentType: z.string().min(1), fileName: z.string().optional() });
const userMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string().min(1).max(5000), emojis: z.array(z.unknown()).optional() }),
  z.object({ type: z.literal("sticker"), packageId: z.string().min(1), stickerId: z.string().min(1) }),
  media,
  z.object({ type: z.literal("location"), title: z.string(), address: z.string(), latitude: z.number(), longitude: z.number() }),
]);
const channelRef = z.object({ channelId: z.string() });

/** The emulator's own API for tests and its UI: personas act, channels get switches, faults get armed. */
export function controlRoutes(platform: LinePlatform, registerChannel: (ch: EmulatorChannel) => void) {
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof PlatformError) return c.json({ message: err.message }, err.status as 404);
    if (err instanceof z.ZodError) return c.json({ message: "Invalid request", details: err.issues }, 400);
    throw err;
  });

  const body = async <T>(req: Request, schema: z.ZodType<T>) => schema.parse(await req.json().catch(() => undefined));
  const presentPersona = (p: Persona) => ({
    userId: p.userId,
    displayName: p.displayName,
    statusMessage: p.statusMessage,
    language: p.language,
    pictureUrl: platform.pictureUrl(p),
  });
  const presentAction = (a: UserAction) => ({
    webhookEventId: a.event.webhookEventId,
    replyToken: a.event.replyToken,
    event: a.event,
    delivery: a.delivery,
  });

  app.post("/channels", async (c) => {
    const ch = await body(c.req.raw, channelInput);
    registerChannel(ch);
    const state = platform.channel(ch.channelId);
    return c.json({ channelId: state.channelId, botUserId: state.botUserId, webhookUrl: state.webhookUrl, delivery: state.delivery });
  });

  app.get("/channels", (c) =>
    c.json([...platform.state.channels.values()].map((ch) => ({ channelId: ch.channelId, botName: ch.botName, basicId: ch.basicId, botUserId: ch.botUserId, webhookUrl: ch.webhookUrl, delivery: ch.delivery }))),
  );

  app.put("/channels/:channelId/delivery", async (c) => {
    const ch = platform.channel(c.req.param("channelId"));
    Object.assign(ch.delivery, await body(c.req.raw, deliveryInput));
    platform.state.save();
    return c.json(ch.delivery);
  });

  app.post("/channels/:channelId/verify", async (c) => {
    platform.channel(c.req.param("channelId"));
    return c.json({ delivery: await platform.webhooks.verify(c.req.param("channelId")) });
  });

  app.get("/channels/:channelId/deliveries", (c) => c.json(platform.webhooks.deliveriesFor(c.req.param("channelId"))));

  app.post("/users", async (c) => c.json(presentPersona(platform.createPersona(await body(c.req.raw, userInput))), 201));
  app.get("/users", (c) => c.json([...platform.state.personas.values()].map(presentPersona)));
  app.get("/users/:userId", (c) => c.json(presentPersona(platform.persona(c.req.param("userId")))));
  app.patch("/users/:userId", async (c) => c.json(presentPersona(platform.updatePersona(c.req.param("userId"), await body(c.req.raw, userInput.partial())))));

  app.post("/users/:userId/follow", async (c) => {
    const { channelId } = await body(c.req.raw, channelRef);
    return c.json(presentAction(await platform.follow(c.req.param("userId"), channelId)));
  });
  app.post("/users/:userId/unfollow", async (c) => {
    const { channelId } = await body(c.req.raw, channelRef);
    return c.json(presentAction(await platform.unfollow(c.req.param("userId"), channelId)));
  });
  app.post("/users/:userId/messages", async (c) => {
    const input = await body(c.req.raw, channelRef.extend({ message: userMessage }));
    const sent = await platform.sendMessage(c.req.param("userId"), input.channelId, input.message);
    return c.json({ messageId: sent.messageId, ...presentAction(sent) });
  });
  app.post("/users/:userId/postback", async (c) => {
    const input = await body(c.req.raw, channelRef.extend({ data: z.string().min(1).max(300) }));
    return c.json(presentAction(await platform.postback(c.req.param("userId"), input.channelId, input.data)));
  });
  app.post("/users/:userId/unsend", async (c) => {
    const input = await body(c.req.raw, channelRef.extend({ messageId: z.string() }));
    return c.json(presentAction(await platform.unsend(c.req.param("userId"), input.channelId, input.messageId)));
  });
  app.get("/users/:userId/friends", (c) => {
    const userId = platform.persona(c.req.param("userId")).userId;
    return c.json(
      [...platform.state.friendships.values()]
        .filter((f) => f.userId === userId)
        .map((f) => ({ channelId: f.channelId, status: f.status, since: f.since })),
    );
  });
  app.get("/users/:userId/chat", (c) => {
    const channelId = c.req.query("channelId") ?? "";
    platform.channel(channelId);
    return c.json(platform.state.conversation(channelId, platform.persona(c.req.param("userId")).userId));
  });

  app.get("/violations", (c) => c.json(platform.violations));
  app.get("/requests", (c) => c.json(platform.requests));
  app.delete("/violations", (c) => {
    platform.violations.length = 0;
    return c.body(null, 204);
  });

  app.post("/faults", async (c) => {
    const f = await body(c.req.raw, z.object({ path: z.string().startsWith("/"), status: z.number().int().min(100).max(599), times: z.number().int().min(1).default(1) }));
    platform.addFault(f.path, f.status, f.times);
    return c.json(f, 201);
  });
  // A LINE that hangs: requests on the path get no answer until released (tests of a slow LINE wait on conditions, not time).
  app.post("/holds", async (c) => {
    const h = await body(c.req.raw, z.object({ path: z.string().startsWith("/"), times: z.number().int().min(1).default(1) }));
    platform.addHold(h.path, h.times);
    return c.json(h, 201);
  });
  app.get("/holds", (c) => c.json({ held: platform.heldCount() }));
  app.post("/holds/release", (c) => c.json({ released: platform.releaseHolds() }));

  return app;
}
