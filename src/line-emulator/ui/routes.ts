import { Hono, type Context } from "hono";
import { deleteCookie, getCookie } from "hono/cookie";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { PlatformError, type LinePlatform, type UserMessageInput } from "../platform.ts";
import { DISPLAY_NAME_MAX, type Friendship } from "../state.ts";
import { CHAT_SCRIPT, CHAT_SCRIPT_PATH, chatPage, choosePersonaPage, homePage, noticePage, renderMessages } from "./pages.ts";
import { PERSONA_COOKIE, rememberPersona } from "./persona-cookie.ts";

async function fileField(v: unknown): Promise<{ base64: string; type: string; name: string } | undefined> {
  if (!(v instanceof File) || v.size === 0) return undefined;
  return { base64: Buffer.from(await v.arrayBuffer()).toString("base64"), type: v.type || "application/octet-stream", name: v.name };
}

/** Whatever a persona uploaded: shown as an image at most, never run as a page on the emulator's origin. */
const UPLOADED = { "content-security-policy": "default-src 'none'; sandbox" };

const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");

/** Decodes the first QR code in a PNG (jsqr works on RGBA pixels, pngjs supplies them). */
export function decodeQrPng(bytes: Buffer): string | undefined {
  const png = PNG.sync.read(bytes);
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data;
}

/** The persona-facing web UI: a phone-sized stand-in for the LINE app. */
export function uiRoutes(platform: LinePlatform) {
  const app = new Hono();

  const me = (c: Context) => {
    const id = getCookie(c, PERSONA_COOKIE);
    return id ? platform.state.personas.get(id) : undefined;
  };
  const requireMe = (c: Context) => {
    const p = me(c);
    if (!p) throw new PlatformError(401, "Pick a LINE user first.");
    return p;
  };

  app.onError((err, c) => {
    if (err instanceof PlatformError) return c.html(noticePage("Sorry", err.message), err.status === 401 ? 401 : 400);
    throw err;
  });

  app.get("/", (c) => {
    const p = me(c);
    if (!p) return c.html(choosePersonaPage([...platform.state.personas.values()], (x) => platform.pictureUrl(x)));
    const friendships = new Map<string, Friendship>();
    for (const f of platform.state.friendships.values()) if (f.userId === p.userId) friendships.set(f.channelId, f);
    return c.html(homePage({ me: p, pictureUrl: platform.pictureUrl(p), channels: [...platform.state.channels.values()], friendships }));
  });

  app.post("/ui/persona/select", async (c) => {
    const userId = str((await c.req.parseBody()).userId);
    platform.persona(userId);
    rememberPersona(c, userId);
    return c.redirect("/", 303);
  });

  app.post("/ui/persona/create", async (c) => {
    const form = await c.req.parseBody();
    const name = str(form.displayName);
    if (!name) throw new PlatformError(400, "A display name is required.");
    const photo = await fileField(form.photo);
    const p = platform.createPersona({ displayName: name.slice(0, DISPLAY_NAME_MAX), statusMessage: str(form.statusMessage), pictureBase64: photo?.base64, pictureContentType: photo?.type });
    rememberPersona(c, p.userId);
    return c.redirect("/", 303);
  });

  app.post("/ui/persona/switch", (c) => {
    deleteCookie(c, PERSONA_COOKIE, { path: "/" });
    return c.redirect("/", 303);
  });

  app.post("/ui/profile", async (c) => {
    const p = requireMe(c);
    const form = await c.req.parseBody();
    const photo = await fileField(form.photo);
    platform.updatePersona(p.userId, {
      displayName: str(form.displayName).slice(0, DISPLAY_NAME_MAX) || undefined,
      statusMessage: str(form.statusMessage),
      pictureBase64: photo?.base64,
      pictureContentType: photo?.type,
    });
    return c.redirect("/", 303);
  });

  app.post("/ui/friends/:channelId/follow", async (c) => {
    await platform.follow(requireMe(c).userId, c.req.param("channelId"));
    return c.redirect("/", 303);
  });
  app.post("/ui/friends/:channelId/block", async (c) => {
    await platform.unfollow(requireMe(c).userId, c.req.param("channelId"));
    return c.redirect("/", 303);
  });

  app.get(CHAT_SCRIPT_PATH, (c) => c.body(CHAT_SCRIPT, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.get("/ui/chat/:channelId", (c) => {
    const channel = platform.channel(c.req.param("channelId"));
    const userId = requireMe(c).userId;
    return c.html(chatPage(channel, platform.state.conversation(channel.channelId, userId), platform.isLoading(channel.channelId, userId)));
  });
  app.get("/ui/chat/:channelId/messages", (c) => {
    const channel = platform.channel(c.req.param("channelId"));
    const userId = requireMe(c).userId;
    return c.html(renderMessages(platform.state.conversation(channel.channelId, userId), channel, platform.isLoading(channel.channelId, userId)).value);
  });

  const sendFromUi = async (c: Context, input: UserMessageInput) => {
    const channelId = c.req.param("channelId") ?? "";
    await platform.sendMessage(requireMe(c).userId, channelId, input);
    return c.redirect(`/ui/chat/${channelId}`, 303);
  };
  app.post("/ui/chat/:channelId/text", async (c) => sendFromUi(c, { type: "text", text: str((await c.req.parseBody()).text) || " " }));
  app.post("/ui/chat/:channelId/sticker", async (c) => {
    const form = await c.req.parseBody();
    return sendFromUi(c, { type: "sticker", packageId: str(form.packageId), stickerId: str(form.stickerId) });
  });
  app.post("/ui/chat/:channelId/media", async (c) => {
    const file = await fileField((await c.req.parseBody()).file);
    if (!file) throw new PlatformError(400, "Choose a file to send.");
    const kind = file.type.startsWith("image/") ? "image" : file.type.startsWith("video/") ? "video" : file.type.startsWith("audio/") ? "audio" : "file";
    return sendFromUi(c, { type: kind, contentBase64: file.base64, contentType: file.type, fileName: file.name });
  });
  /** A tapped postback button (quick reply or Flex): LINE sends the postback and shows its displayText as the user's. */
  app.post("/ui/chat/:channelId/postback", async (c) => {
    const channelId = c.req.param("channelId");
    const form = await c.req.parseBody();
    const data = str(form.data);
    if (!data) throw new PlatformError(400, "That button carries no data.");
    await platform.postback(requireMe(c).userId, channelId, data, str(form.displayText) || undefined);
    return c.redirect(`/ui/chat/${channelId}`, 303);
  });
  app.post("/ui/chat/:channelId/location", async (c) => {
    const f = await c.req.parseBody();
    return sendFromUi(c, { type: "location", title: str(f.title), address: str(f.address), latitude: Number(f.latitude), longitude: Number(f.longitude) });
  });

  const navigate = (c: Context, raw: string | undefined) => {
    const url = raw ? URL.canParse(raw) && new URL(raw) : undefined;
    if (!url || !["http:", "https:"].includes(url.protocol)) throw new PlatformError(400, "That is not an http(s) link.");
    return c.redirect(url.toString(), 303);
  };
  app.post("/ui/open-link", async (c) => navigate(c, str((await c.req.parseBody()).url)));
  app.post("/ui/scan-qr", async (c) => {
    const file = await fileField((await c.req.parseBody()).qr);
    if (!file) throw new PlatformError(400, "Choose a QR code image.");
    let data: string | undefined;
    try {
      data = decodeQrPng(Buffer.from(file.base64, "base64"));
    } catch {
      throw new PlatformError(400, "The image is not a readable PNG.");
    }
    if (!data) throw new PlatformError(400, "No QR code found in the image.");
    return navigate(c, data);
  });

  /** "Search ID": befriend the company's account if needed, then send the Message ID as text. */
  app.post("/ui/search-id", async (c) => {
    const p = requireMe(c);
    const form = await c.req.parseBody();
    const channelId = str(form.channelId) || [...platform.state.channels.keys()][0] || "";
    const messageId = str(form.messageId);
    if (!messageId) throw new PlatformError(400, "Type a Message ID.");
    platform.channel(channelId);
    if (!platform.state.isFriend(channelId, p.userId)) await platform.follow(p.userId, channelId);
    await platform.sendMessage(p.userId, channelId, { type: "text", text: messageId });
    return c.redirect(`/ui/chat/${channelId}`, 303);
  });

  app.get("/__emulator/profile/:userId/:file", (c) => {
    const p = platform.state.personas.get(c.req.param("userId"));
    if (!p?.picture) return c.json({ message: "Not found" }, 404);
    return c.body(Buffer.from(p.picture.base64, "base64"), 200, { "content-type": p.picture.contentType, "cache-control": "public, max-age=31536000, immutable", ...UPLOADED });
  });

  /** Lets the persona see what it sent (the bot fetches the same bytes via the Messaging API). */
  app.get("/__emulator/content/:messageId", (c) => {
    const p = requireMe(c);
    const entry = platform.state.chat.find((e) => e.id === c.req.param("messageId") && e.userId === p.userId);
    const content = entry && platform.state.content.get(entry.id);
    if (!content) return c.json({ message: "Not found" }, 404);
    return c.body(Buffer.from(content.base64, "base64"), 200, { "content-type": content.contentType, ...UPLOADED });
  });

  return app;
}
