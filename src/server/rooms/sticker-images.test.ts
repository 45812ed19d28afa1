import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localFileStore } from "../files/store.ts";
import { createStickerImages, StickerUnavailable } from "./sticker-images.ts";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";

// Stickers as pictures (issue 11): the server fetches a sticker's picture from LINE's sticker CDN
// path (here the emulator's), keeps it in the FileStore and serves it from our origin.
let server: TestServer;
let sato: ApiClient;
let channelId: string;

beforeAll(async () => {
  server = await bootServer();
  channelId = server.demoLineChannelId!;
  sato = await signedIn(server, "sato@demo.example");
});
afterAll(async () => {
  await server?.stop();
});

const stickerPath = (id: string) => `/stickershop/v1/sticker/${id}/android/sticker.png`;
const fetchSticker = (id: string, cookie = sato.cookie) => fetch(`${server.url}/api/v1/stickers/${id}`, { headers: cookie ? { cookie } : {} });
const cdnRequests = async (id: string) => (await emulatorOf(server).requests()).filter((r) => r.path === stickerPath(id)).length;

describe("sticker pictures", () => {
  it("the room list names the last sticker, and its picture is the emulator's PNG, fetched from LINE once", async () => {
    const emu = emulatorOf(server);
    const user = await emu.createUser({ displayName: "Sticker Sender", language: "en" });
    await addFriendThroughLink((await sato.get("/api/v1/invitations/me")).json.url, user.userId);
    await server.worker.drain();
    await emu.sendMessage(user.userId, channelId, { type: "sticker", packageId: "446", stickerId: "1990" });
    await server.worker.drain();
    const room = ((await sato.get("/api/v1/rooms")).json.items as Record<string, unknown>[]).find(
      (r) => (r.lineUser as { displayName: string }).displayName === "Sticker Sender",
    )!;
    // The preview text stays free of ids: notifications show it as it is.
    expect(room).toMatchObject({ lastMessageType: "sticker", lastMessageStickerId: "1990", lastMessagePreview: "" });

    const first = await fetchSticker("1990");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("image/png");
    expect(first.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    const bytes = Buffer.from(await first.arrayBuffer());
    const decoded = PNG.sync.read(bytes);
    expect([decoded.width, decoded.height]).toEqual([128, 128]);
    const original = Buffer.from(await (await fetch(`${emu.baseUrl}${stickerPath("1990")}`)).arrayBuffer());
    expect(bytes.equals(original)).toBe(true);

    // Served from the store from now on: concurrent and later asks cost LINE nothing more.
    const again = await Promise.all([fetchSticker("1990"), fetchSticker("1990")]);
    expect(again.map((r) => r.status)).toEqual([200, 200]);
    expect(await cdnRequests("1990")).toBe(1 + 1); // the server's one fetch, and the test's own above
  });

  it("a member sending a sticker makes it the room's preview picture too", async () => {
    const emu = emulatorOf(server);
    const user = await emu.createUser({ displayName: "Sticker Receiver", language: "en" });
    await addFriendThroughLink((await sato.get("/api/v1/invitations/me")).json.url, user.userId);
    await server.worker.drain();
    const room = ((await sato.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find(
      (r) => r.lineUser.displayName === "Sticker Receiver",
    )!;
    expect((await sato.post(`/api/v1/rooms/${room.id}/messages`, { type: "sticker", packageId: "11537", stickerId: "52002734" })).status).toBe(201);
    expect((await sato.get(`/api/v1/rooms/${room.id}`)).json).toMatchObject({ lastMessageType: "sticker", lastMessageStickerId: "52002734" });
    await sato.post(`/api/v1/rooms/${room.id}/messages`, { type: "text", text: "and words" });
    expect((await sato.get(`/api/v1/rooms/${room.id}`)).json).toMatchObject({ lastMessageType: "text", lastMessageStickerId: null });
  });

  it("a picture LINE cannot give is a 404 the web app shows its text fallback for, and not asked again at once", async () => {
    await emulatorOf(server).addFault({ path: stickerPath("424242"), status: 500, times: 1 });
    const res = await fetchSticker("424242");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    // The fault is spent, so a second fetch from LINE would succeed: a 404 means none was made.
    expect((await fetchSticker("424242")).status).toBe(404);
    expect(await cdnRequests("424242")).toBe(0);
  });

  it("needs a session and a sticker id made of digits", async () => {
    expect((await fetchSticker("1988", "")).status).toBe(401);
    const bad = await sato.get("/api/v1/stickers/..%2F..%2Fetc");
    expect(bad.status).toBe(400);
  });
});

describe("what the server accepts as a sticker picture", () => {
  it("follows no redirect and keeps nothing that is not an image", async () => {
    const png = PNG.sync.write(new PNG({ width: 2, height: 2 }));
    // A stand-in CDN on this machine: one real picture, one redirect elsewhere, one HTML page.
    const cdn = http.createServer((req, res) => {
      if (req.url?.includes("/sticker/1/")) res.writeHead(200, { "content-type": "image/png" }).end(png);
      else if (req.url?.includes("/sticker/2/")) res.writeHead(302, { location: "http://169.254.169.254/" }).end();
      else res.writeHead(200, { "content-type": "image/png" }).end("<html><script>alert(1)</script></html>");
    });
    await new Promise<void>((resolve) => cdn.listen(0, "127.0.0.1", resolve));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stickers-"));
    try {
      const files = localFileStore(dir);
      const stickers = createStickerImages({ files, baseUrl: `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`, log: pino({ level: "silent" }), clock: () => new Date() });
      expect(Buffer.from(await stickers.image("1")).equals(png)).toBe(true);
      expect(await files.get("stickers/1")).toBeDefined();
      await expect(stickers.image("2")).rejects.toBeInstanceOf(StickerUnavailable);
      await expect(stickers.image("3")).rejects.toBeInstanceOf(StickerUnavailable);
      await expect(stickers.image("../1")).rejects.toBeInstanceOf(StickerUnavailable);
      expect(await files.get("stickers/2")).toBeUndefined();
      expect(await files.get("stickers/3")).toBeUndefined();
    } finally {
      cdn.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
