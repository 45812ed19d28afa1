import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { waitFor } from "../../../test/support/line-webhooks.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { LINE_ORIGINAL_MAX_BYTES, LINE_PREVIEW_MAX_BYTES } from "./line-image.ts";

/**
 * Images a member sends reach LINE as LINE accepts them: through the real upload route, real
 * sharp, the emulator (which checks each push against LINE's OpenAPI documents) and the signed
 * public URLs LINE's servers fetch.
 */
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

async function lineFriend(name: string) {
  const emu = emulatorOf(server);
  const user = await emu.createUser({ displayName: name, language: "en" });
  const { url } = (await sato.get("/api/v1/invitations/me")).json;
  await addFriendThroughLink(url, user.userId);
  await server.worker.drain();
  const room = ((await sato.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find((r) => r.lineUser.displayName === name)!;
  return { userId: user.userId, roomId: room.id };
}

/** Sends `bytes` as an image and returns what LINE would download from the pushed message's URLs. */
async function sendImage(name: string, bytes: Uint8Array, fileName: string) {
  const { userId, roomId } = await lineFriend(name);
  const sent = await sato.request("POST", `/api/v1/rooms/${roomId}/uploads?type=image&fileName=${encodeURIComponent(fileName)}`, bytes, {
    "content-type": "application/octet-stream",
  });
  expect(sent.status).toBe(201);
  await server.worker.drain();
  // The emulator downloads both URLs as the LINE app would, after answering the push.
  const pushed = await waitFor(async () => {
    const images = (await emulatorOf(server).chat(userId, channelId)).filter((m) => m.from === "bot" && m.delivered && m.message.type === "image");
    expect(images.length).toBeLessThanOrEqual(1);
    return images[0]?.media && images[0];
  }, 15_000, "the emulator to download the pushed image");
  const message = pushed.message as { originalContentUrl: string; previewImageUrl: string };
  const fetchedByLine = pushed.media!;
  expect(fetchedByLine.problems).toEqual([]);
  const download = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    return { contentType: res.headers.get("content-type"), body, meta: await sharp(body).metadata() };
  };
  const own = await sato.get(`/api/v1/rooms/${roomId}/messages/${sent.json.id}/content`);
  const original = await download(message.originalContentUrl);
  const preview = await download(message.previewImageUrl);
  expect(fetchedByLine.originalContentUrl).toMatchObject({ status: 200, format: original.meta.format, bytes: original.body.length });
  expect(fetchedByLine.previewImageUrl).toMatchObject({ status: 200, format: preview.meta.format, bytes: preview.body.length });
  return { message, original, preview, sent: sent.json, own };
}

const noise = (side: number) =>
  sharp({ create: { width: side, height: side, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 60 } } })
    .png()
    .toBuffer();

describe("images pushed to LINE", () => {
  it("a 3000×3000 PNG over 1 MB goes unchanged, with a JPEG preview under 1 MB", async () => {
    const patch = await noise(1000);
    const png = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: "#3366aa" } })
      .composite([{ input: patch, left: 100, top: 100 }])
      .png()
      .toBuffer();
    expect(png.length).toBeGreaterThan(LINE_PREVIEW_MAX_BYTES);
    const { message, original, preview, sent } = await sendImage("Big PNG", png, "big.png");
    expect(message.previewImageUrl).not.toBe(message.originalContentUrl);
    expect(original.contentType).toBe("image/png");
    expect(Buffer.from(original.body).equals(png)).toBe(true);
    expect(preview.contentType).toBe("image/jpeg");
    expect(preview.body.length).toBeLessThanOrEqual(LINE_PREVIEW_MAX_BYTES);
    expect([preview.meta.width, preview.meta.height]).toEqual([1024, 1024]);
    // Where LINE's versions are stored stays on the server.
    expect(sent.payload).toEqual({ fileName: "big.png", fileSize: png.length });
  });

  it("a PNG over LINE's 10 MB is re-encoded within it; the member keeps their own file", async () => {
    const png = await noise(1870);
    expect(png.length).toBeGreaterThan(LINE_ORIGINAL_MAX_BYTES);
    const { original, preview, own } = await sendImage("Huge PNG", png, "huge.png");
    expect(original.contentType).toBe("image/jpeg");
    expect(original.body.length).toBeLessThanOrEqual(LINE_ORIGINAL_MAX_BYTES);
    expect([original.meta.width, original.meta.height]).toEqual([1870, 1870]);
    expect(preview.contentType).toBe("image/jpeg");
    expect(preview.body.length).toBeLessThanOrEqual(LINE_PREVIEW_MAX_BYTES);
    expect(own.headers.get("content-type")).toBe("image/png");
    expect(Number(own.headers.get("content-length"))).toBe(png.length);
  });

  it("an animated GIF becomes its first frame as a PNG, which is also its preview", async () => {
    const frame = (colour: string) => sharp({ create: { width: 64, height: 48, channels: 3, background: colour } }).png().toBuffer();
    const gif = await sharp([await frame("#ff0000"), await frame("#0000ff")], { join: { animated: true } })
      .gif({ delay: [200, 200] })
      .toBuffer();
    const { original, preview, own } = await sendImage("GIF sender", gif, "wave.gif");
    expect(original.contentType).toBe("image/png");
    expect([original.meta.width, original.meta.height, original.meta.pages ?? 1]).toEqual([64, 48, 1]);
    const { data } = await sharp(original.body).raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).toEqual([255, 0, 0]);
    expect(Buffer.from(preview.body).equals(Buffer.from(original.body))).toBe(true);
    // The member's history still shows the animation they sent.
    expect(own.headers.get("content-type")).toBe("image/gif");
  });

  it("a transparent WebP becomes a PNG that keeps its transparency", async () => {
    const webp = await sharp({ create: { width: 200, height: 100, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } } })
      .webp({ lossless: true })
      .toBuffer();
    const { original } = await sendImage("WebP sender", webp, "clear.webp");
    expect(original.contentType).toBe("image/png");
    expect(original.meta.hasAlpha).toBe(true);
    expect([original.meta.width, original.meta.height]).toEqual([200, 100]);
  });

  it("refuses what does not decode or is no image LINE can be sent, and stores nothing", async () => {
    const { roomId } = await lineFriend("Broken images");
    const before = (await sato.get(`/api/v1/rooms/${roomId}/messages`)).json.items.length;
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: "#123456" } }).png().toBuffer();
    const truncated = png.subarray(0, 120);
    const tiff = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#123456" } }).tiff().toBuffer();
    for (const bytes of [truncated, tiff]) {
      const res = await sato.request("POST", `/api/v1/rooms/${roomId}/uploads?type=image&fileName=x.png`, bytes, { "content-type": "application/octet-stream" });
      expect(res.status).toBe(415);
      expect(res.json.code).toBe("unsupported_media_type");
    }
    expect((await sato.get(`/api/v1/rooms/${roomId}/messages`)).json.items.length).toBe(before);
  });
});
