import zlib from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { Problem } from "../http/problem.ts";
import { LINE_PREVIEW_MAX_BYTES, createLineImageConverter, prepareLineImage } from "./line-image.ts";

/** A valid PNG whose header claims `width`×`height`: what a decompression bomb looks like before decoding. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 4, height: 4, channels: 3, background: "#000" } }).png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

describe("prepareLineImage (real sharp)", () => {
  it("sends a small JPEG unchanged, as its own preview", async () => {
    const jpeg = await sharp({ create: { width: 120, height: 80, channels: 3, background: "#c03030" } }).jpeg().toBuffer();
    expect(await prepareLineImage(jpeg, "image/jpeg")).toEqual({ original: "upload", preview: "original" });
  });

  it("re-encodes a photo that carries EXIF (GPS, orientation): upright, with no metadata left", async () => {
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#4080c0" } })
      .jpeg()
      .withExif({ IFD0: { Make: "PhoneCo" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "35/1 40/1 0/1" } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await sharp(photo).metadata()).toMatchObject({ orientation: 6, exif: expect.any(Buffer) });
    const { original, preview } = await prepareLineImage(photo, "image/jpeg");
    if (original === "upload") throw new Error("expected a re-encoded original");
    const meta = await sharp(original.bytes).metadata();
    expect([meta.format, meta.exif, meta.xmp, meta.iptc]).toEqual(["jpeg", undefined, undefined, undefined]);
    // Orientation 6 is a quarter turn: the pixels are turned, not described.
    expect([original.width, original.height]).toEqual([200, 300]);
    expect(preview).toBe("original");
  });

  it("gives a large transparent PNG a PNG preview that keeps the transparency within 1 MB", async () => {
    const noise = await sharp({ create: { width: 1200, height: 1200, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 60 } } })
      .png()
      .toBuffer();
    const png = await sharp({ create: { width: 1600, height: 1600, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: noise, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const { original, preview } = await prepareLineImage(png, "image/png");
    expect(original).toBe("upload");
    if (preview === "original") throw new Error("expected a separate preview");
    expect(preview.type).toBe("image/png");
    expect(preview.bytes.length).toBeLessThanOrEqual(LINE_PREVIEW_MAX_BYTES);
    expect(Math.max(preview.width, preview.height)).toBeLessThanOrEqual(1024);
    expect((await sharp(preview.bytes).stats()).isOpaque).toBe(false);
  });

  it("refuses a canvas of more than 100 megapixels without decoding it", async () => {
    const bomb = await pngClaiming(20_000, 20_000);
    await expect(prepareLineImage(bomb, "image/png")).rejects.toThrow(/pixel limit/i);
  });
});

describe("createLineImageConverter", () => {
  it("answers 415 for bytes that do not decode, and 503 once too many images wait", async () => {
    const convert = createLineImageConverter({ maxWaiting: 1 });
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: "#123456" } }).png().toBuffer();
    const [first, second] = await Promise.allSettled([convert(png.subarray(0, 100), "image/png"), convert(png, "image/png")]);
    expect(first.status === "rejected" && first.reason).toBeInstanceOf(Problem);
    expect(first).toMatchObject({ reason: { status: 415, code: "unsupported_media_type" } });
    expect(second).toMatchObject({ reason: { status: 503, code: "server_busy" } });
    // The queue frees up once the first is done.
    await expect(convert(png, "image/png")).resolves.toEqual({ original: "upload", preview: "original" });
  });
});
