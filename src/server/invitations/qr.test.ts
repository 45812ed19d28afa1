import jsQR from "jsqr";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { invitationQrPng } from "./qr.ts";

function decodeQr(png: Buffer): string | undefined {
  const img = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data;
}

describe("invitationQrPng", () => {
  it("encodes the exact invitation URL in a 512 px PNG", async () => {
    const url = "http://localhost:3000/i/01JDZ8Q3R7W2X4Y5Z6A7B8C9D0";
    const png = await invitationQrPng(url);
    const img = PNG.sync.read(png);
    expect([img.width, img.height]).toEqual([512, 512]);
    expect(decodeQr(png)).toBe(url);
  });

  it("keeps a white quiet zone around the code", async () => {
    const img = PNG.sync.read(await invitationQrPng("https://tsunagu.example/i/abc", { size: 300 }));
    expect(img.width).toBe(300);
    // The outer ring (well inside the 4-module margin) is white on every side.
    for (let i = 0; i < img.width; i++) {
      for (const [x, y] of [[i, 2], [i, img.height - 3], [2, i], [img.width - 3, i]] as const) {
        expect(img.data[(y * img.width + x) * 4]).toBe(255);
      }
    }
  });

  it("is exactly the size asked for, whatever the URL's length", async () => {
    for (const n of [10, 47, 64, 90, 150]) {
      const img = PNG.sync.read(await invitationQrPng(`http://127.0.0.1:41234/${"a".repeat(n)}`));
      expect([img.width, img.height]).toEqual([512, 512]);
    }
  });

  it("round-trips URLs with non-ASCII paths and query strings", async () => {
    const url = "https://tsunagu.example/i/tok?lang=ja&ref=%E5%90%8D%E5%88%BA";
    expect(decodeQr(await invitationQrPng(url, { size: 256 }))).toBe(url);
  });
});
