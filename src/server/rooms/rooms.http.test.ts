import crypto from "node:crypto";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { waitFor } from "../../../test/support/line-webhooks.ts";
import { readEvents } from "../../../test/support/sse.ts";

let server: TestServer;
let sato: ApiClient;
let admin: ApiClient;
let channelId: string;

const png = (w: number, h: number, rgb: [number, number, number]) => {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i += 4) p.data.set([...rgb, 255], i);
  return new Uint8Array(PNG.sync.write(p));
};

beforeAll(async () => {
  server = await bootServer();
  channelId = server.demoLineChannelId!;
  sato = await signedIn(server, "sato@demo.example");
  admin = await signedIn(server, "admin@demo.example");
});
afterAll(async () => {
  await server?.stop();
});

/** A fresh LINE user befriended with `member` through the member's invitation link. */
async function lineFriendOf(member: ApiClient, name: string) {
  const emu = emulatorOf(server);
  const user = await emu.createUser({ displayName: name, language: "en" });
  const { url } = (await member.get("/api/v1/invitations/me")).json;
  await addFriendThroughLink(url, user.userId);
  await server.worker.drain();
  const room = ((await member.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find(
    (r) => r.lineUser.displayName === name,
  )!;
  return { userId: user.userId, roomId: room.id };
}

const messages = async (client: ApiClient, roomId: string) => (await client.get(`/api/v1/rooms/${roomId}/messages`)).json.items as Record<string, unknown>[];
const botMessages = async (userId: string) => (await emulatorOf(server).chat(userId, channelId)).filter((m) => m.from === "bot" && m.delivered);

describe("messages both ways", () => {
  it("stores a LINE user's text and image (content copied at once) in the member's room, with unread count and preview", async () => {
    const { userId, roomId } = await lineFriendOf(sato, "Inbound User");
    const emu = emulatorOf(server);
    await emu.sendMessage(userId, channelId, { type: "text", text: "こんにちは" });
    const image = png(8, 8, [200, 10, 10]);
    await emu.sendMessage(userId, channelId, { type: "image", contentBase64: Buffer.from(image).toString("base64"), contentType: "image/png" });
    await server.worker.drain();
    const [img, text] = await messages(sato, roomId);
    expect(text).toMatchObject({ direction: "inbound", type: "text", payload: { text: "こんにちは" }, deliveryState: "received" });
    expect(img).toMatchObject({ type: "image", contentState: "stored" });
    const bytes = await fetch(`${server.url}${img!.contentUrl}`, { headers: { cookie: sato.cookie } });
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(image);
    const room = (await sato.get(`/api/v1/rooms/${roomId}`)).json;
    expect(room).toMatchObject({ unreadCount: 2, lastMessagePreview: "", lastMessageType: "image" });
    expect((await sato.post(`/api/v1/rooms/${roomId}/read`)).status).toBe(204);
    expect((await sato.get(`/api/v1/rooms/${roomId}`)).json.unreadCount).toBe(0);
  });

  it("pushes the member's text and sticker with their sender name and a square PNG icon", async () => {
    const satoId = (await sato.get("/api/v1/me")).json.member.id;
    await sato.request("PUT", `/api/v1/members/${satoId}/photo`, png(40, 20, [0, 120, 200]), { "content-type": "image/png" });
    const { userId, roomId } = await lineFriendOf(sato, "Outbound User");
    const sent = await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "Hello from Tsunagu" });
    expect(sent.status).toBe(201);
    expect(sent.json.deliveryState).toBe("sending");
    expect((await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "sticker", packageId: "446", stickerId: "1988" })).status).toBe(201);
    await server.worker.drain();
    const got = await botMessages(userId);
    const text = got.find((m) => m.message.text === "Hello from Tsunagu")!;
    expect(text.via).toBe("push");
    expect(text.sender?.name).toBe("佐藤 花子");
    const icon = await fetch(text.sender!.iconUrl!);
    expect(icon.headers.get("content-type")).toBe("image/png");
    const decoded = PNG.sync.read(Buffer.from(await icon.arrayBuffer()));
    expect([decoded.width, decoded.height]).toEqual([256, 256]);
    expect(got.some((m) => m.message.type === "sticker" && m.message.stickerId === "1988")).toBe(true);
    expect((await messages(sato, roomId)).every((m) => m.deliveryState === "sent")).toBe(true);
    // Unsigned or tampered icon URLs give nothing away.
    expect((await fetch(text.sender!.iconUrl!.replace(/\/[^/]+\.png$/, "/AAAAAAAAAAAAAAAAAAAAAA.png"))).status).toBe(404);
  });

  it("a push failing once with 500 is retried with the same retry key and delivered once", async () => {
    const { userId, roomId } = await lineFriendOf(sato, "Retry User");
    await emulatorOf(server).addFault({ path: "/v2/bot/message/push", status: 500, times: 1 });
    await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "once only" });
    await server.worker.drain();
    expect((await botMessages(userId)).filter((m) => m.message.text === "once only")).toHaveLength(1);
    expect((await messages(sato, roomId))[0]).toMatchObject({ deliveryState: "sent" });
  });

  it("a LINE that hangs holds no database connection and no job loop: LINE users' messages and the API go on, and the held work ends once LINE answers", async () => {
    const { userId, roomId } = await lineFriendOf(sato, "Hang User");
    const emu = emulatorOf(server);
    // A member's push, then a LINE user's image download, each left unanswered by LINE.
    await emu.addHold({ path: "/v2/bot/message/push", times: 1 });
    expect((await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "sent while LINE hangs" })).status).toBe(201);
    await waitFor(async () => (await emu.holds()).held === 1 || undefined, 30_000, "the push to reach LINE");
    await emu.addHold({ path: "/v2/bot/message/*", times: 1 });
    const image = png(8, 8, [10, 200, 10]);
    await emu.sendMessage(userId, channelId, { type: "image", contentBase64: Buffer.from(image).toString("base64"), contentType: "image/png" });
    await waitFor(async () => (await emu.holds()).held === 2 || undefined, 30_000, "the content download to reach LINE");

    // Meanwhile a LINE user's text is acknowledged, processed and shown, and the member's API answers.
    await emu.sendMessage(userId, channelId, { type: "text", text: "are you there?" });
    await waitFor(async () => (await messages(sato, roomId)).some((m) => (m.payload as { text?: string }).text === "are you there?") || undefined, 30_000, "the text to be stored");
    expect((await sato.get("/api/v1/rooms")).status).toBe(200);

    expect(await emu.releaseHolds()).toEqual({ released: 2 });
    await server.worker.drain();
    const all = await messages(sato, roomId);
    expect(all.find((m) => (m.payload as { text?: string }).text === "sent while LINE hangs")).toMatchObject({ deliveryState: "sent" });
    expect(all.find((m) => m.type === "image")).toMatchObject({ contentState: "stored" });
    expect((await botMessages(userId)).filter((m) => m.message.text === "sent while LINE hangs")).toHaveLength(1);
  }, 120_000);

  it("refuses bad input with a clear error and stores nothing", async () => {
    const { roomId } = await lineFriendOf(sato, "Bad Input User");
    const before = (await messages(sato, roomId)).length;
    expect((await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "  " })).status).toBe(400);
    expect((await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "sticker", packageId: "1", stickerId: "1" })).status).toBe(400);
    const notImage = await sato.request("POST", `/api/v1/rooms/${roomId}/uploads?type=image&fileName=x.png`, new TextEncoder().encode("nope"), {
      "content-type": "image/png",
    });
    expect(notImage.status).toBe(415);
    expect((await messages(sato, roomId)).length).toBe(before);
    const kim = await signedIn(server, "kim@demo.example");
    expect((await kim.get(`/api/v1/rooms/${roomId}/messages`)).status).toBe(404);
    expect((await kim.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "not mine" })).status).toBe(404);
  });
});

describe("blocks", () => {
  it("unfollow marks the room blocked and refuses sending; unblocking restores it with history", async () => {
    const { userId, roomId } = await lineFriendOf(sato, "Blocker");
    const emu = emulatorOf(server);
    await emu.sendMessage(userId, channelId, { type: "text", text: "before block" });
    await emu.unfollow(userId, channelId);
    await server.worker.drain();
    expect((await sato.get(`/api/v1/rooms/${roomId}`)).json.state).toBe("blocked");
    const refused = await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "hello?" });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe("line_user_blocked");
    await emu.follow(userId, channelId);
    await server.worker.drain();
    expect((await sato.get(`/api/v1/rooms/${roomId}`)).json.state).toBe("active");
    expect((await messages(sato, roomId)).map((m) => (m.payload as { text?: string }).text)).toContain("before block");
    expect((await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "welcome back" })).status).toBe(201);
    // The history keeps the block and the unblock as system lines, in order, neither unread nor the preview
    // (after the card and greeting the account sent on connecting, issue 11).
    const history = (await messages(sato, roomId)).reverse();
    expect(history.map((m) => (m.type === "system" ? `${String(m.direction)}:${(m.payload as { event: string }).event}` : (m.payload as { text?: string }).text))).toEqual([
      "outbound:card_sent",
      "outbound:greeting_sent",
      "before block",
      "system:blocked",
      "system:unblocked",
      "welcome back",
    ]);
    expect(history.find((m) => m.direction === "system")).toMatchObject({ type: "system", deliveryState: "none", contentUrl: null });
    expect((await sato.get(`/api/v1/rooms/${roomId}`)).json).toMatchObject({ unreadCount: 1, lastMessagePreview: "welcome back" });
  });
});

describe("admin revokes and re-grants", () => {
  it("hides the member's LINE rooms and stops sending; messages arriving meanwhile are kept and come back", async () => {
    const { userId, roomId } = await lineFriendOf(sato, "Revoke User");
    const satoId = (await sato.get("/api/v1/me")).json.member.id;
    await admin.put("/api/v1/admin/line-policy", { policy: "allow", grant: "by_member", grantNewMembers: true, filesAllowed: true });
    await admin.put(`/api/v1/admin/members/${satoId}/line-access`, { allowed: false });
    try {
      const list = await sato.get("/api/v1/rooms");
      expect(list.status).toBe(403);
      expect(list.json.code).toBe("line_not_allowed");
      expect((await sato.post(`/api/v1/rooms/${roomId}/messages`, { type: "text", text: "x" })).status).toBe(403);
      await emulatorOf(server).sendMessage(userId, channelId, { type: "text", text: "while revoked" });
      await server.worker.drain();
    } finally {
      await admin.put(`/api/v1/admin/members/${satoId}/line-access`, { allowed: true });
      await admin.put("/api/v1/admin/line-policy", { policy: "allow", grant: "all", grantNewMembers: true, filesAllowed: true });
    }
    expect(((await sato.get("/api/v1/rooms")).json.items as { id: string }[]).some((r) => r.id === roomId)).toBe(true);
    expect((await messages(sato, roomId)).map((m) => (m.payload as { text?: string }).text)).toContain("while revoked");
  });
});

describe("shared channel routing", () => {
  it("routes to the member befriended last, offers 'talk to …', and follows the LINE user's pick", async () => {
    const kim = await signedIn(server, "kim@demo.example");
    const emu = emulatorOf(server);
    const { userId, roomId: satoRoom } = await lineFriendOf(sato, "Router User");
    await emu.sendMessage(userId, channelId, { type: "text", text: (await kim.get("/api/v1/me")).json.member.loginId });
    await server.worker.drain();
    const kimRoom = ((await kim.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find(
      (r) => r.lineUser.displayName === "Router User",
    )!.id;
    await emu.sendMessage(userId, channelId, { type: "text", text: "to the last one" });
    await server.worker.drain();
    expect((await messages(kim, kimRoom)).map((m) => (m.payload as { text?: string }).text)).toContain("to the last one");
    expect((await messages(sato, satoRoom)).map((m) => (m.payload as { text?: string }).text)).not.toContain("to the last one");

    const offer = (await botMessages(userId)).find((m) => (m.message as { quickReply?: unknown }).quickReply);
    const items = (offer!.message as { quickReply: { items: { action: { label: string; data: string } }[] } }).quickReply.items;
    const toSato = items.find((i) => i.action.label.includes("佐藤"))!;
    await emu.postback(userId, channelId, toSato.action.data);
    await emu.sendMessage(userId, channelId, { type: "text", text: "back to sato" });
    await server.worker.drain();
    expect((await messages(sato, satoRoom)).map((m) => (m.payload as { text?: string }).text)).toContain("back to sato");
    expect((await messages(kim, kimRoom)).map((m) => (m.payload as { text?: string }).text)).not.toContain("back to sato");
  });
});

describe("real time", () => {
  it("announces a new room and a new message on the member's event stream", async () => {
    const emu = emulatorOf(server);
    const user = await emu.createUser({ displayName: `Live ${crypto.randomBytes(3).toString("hex")}` });
    const { url } = (await sato.get("/api/v1/invitations/me")).json;
    const seen = await readEvents(`${server.url}/api/v1/events`, sato.cookie, (ev) => ev.event === "message.created", {
      onOpen: async () => {
        await addFriendThroughLink(url, user.userId);
        await emu.sendMessage(user.userId, channelId, { type: "text", text: "live" });
        await server.worker.drain();
      },
    });
    expect(seen.map((e) => e.event)).toEqual(expect.arrayContaining(["ready", "room.created", "message.created"]));
  });

  it.runIf(!!process.env.TEST_DATABASE_URL)("two instances on one PostgreSQL: a webhook to instance A reaches a stream on instance B", async () => {
    const b = await bootServer({ DATABASE_URL: server.databaseUrl!, DATA_DIR: server.dataDir, DEMO_SEED: "0" });
    try {
      const { userId, roomId } = await lineFriendOf(sato, "Two Instances");
      // The session lives in the shared database: the same cookie works on B.
      const seen = await readEvents(`${b.url}/api/v1/events`, sato.cookie, (ev) => ev.event === "message.created", {
        onOpen: async () => {
          // A's emulator delivers to A; whichever instance's worker runs the job, B's stream hears it.
          await emulatorOf(server).sendMessage(userId, channelId, { type: "text", text: "via A" });
        },
      });
      expect(seen.find((e) => e.event === "message.created")!.data).toMatchObject({ roomId });
    } finally {
      await b.stop();
    }
  });
});
