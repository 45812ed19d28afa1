import fs from "node:fs";
import path from "node:path";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { CARD_HEIGHT, CARD_WIDTH, renderBusinessCard, type BusinessCard } from "./card.ts";
import { invitationQrPng } from "./qr.ts";

const URL = "http://localhost:3000/i/01JDZ8Q3R7W2X4Y5Z6A7B8C9D0";
// Rendered cards are kept for a person to look at (`.tmp/` is git-ignored).
const OUT = path.resolve(".tmp/cards");

// A 1×1 red GIF: stretched over the avatar circle, the circle must come out red.
const RED_GIF = Buffer.from("R0lGODlhAQABAIAAAP8AAP///ywAAAAAAQABAAACAkQBADs=", "base64");

function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}

function pixel(img: PNG, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

async function render(name: string, card: BusinessCard) {
  const started = performance.now();
  const png = await renderBusinessCard(card);
  const ms = performance.now() - started;
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, `${name}.png`), png);
  console.info(`card ${name}: ${ms.toFixed(0)} ms, ${png.length} bytes`);
  const img = PNG.sync.read(png);
  return { png, img };
}

function decodeQr(img: PNG) {
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data;
}

/** The gutter between the text column and the QR code: overflowing text would paint it. */
function gutterIsBlank(img: PNG) {
  for (let y = 0; y < CARD_HEIGHT - 30; y++) {
    for (let x = 756; x < 800; x++) {
      const [r, g, b] = pixel(img, x, y);
      if (r < 250 || g < 250 || b < 250) return false;
    }
  }
  return true;
}

describe("renderBusinessCard", () => {
  let qrPng: Buffer;
  beforeAll(async () => {
    qrPng = await invitationQrPng(URL);
  });

  it("renders a Japanese card whose QR code still scans", async () => {
    const { img } = await render("ja", {
      displayName: "佐藤 花子",
      companyName: "株式会社デモ商事",
      department: "営業部 第一課",
      phone: "+81 3-1234-5678",
      email: "sato@demo.example",
      locale: "ja",
      qrPng,
    });
    expect([img.width, img.height]).toEqual([CARD_WIDTH, CARD_HEIGHT]);
    expect(decodeQr(img)).toBe(URL);
    expect(gutterIsBlank(img)).toBe(true);
  });

  it("renders a Korean card with a photo", async () => {
    const { img } = await render("ko", {
      displayName: "김민준",
      companyName: "데모 주식회사",
      department: "영업팀",
      phone: "+82 2-123-4567",
      email: "kim@demo.example",
      photo: { bytes: solidPng(64, 64, [20, 90, 200]), type: "image/png" },
      locale: "ko",
      qrPng,
    });
    expect([img.width, img.height]).toEqual([CARD_WIDTH, CARD_HEIGHT]);
    expect(decodeQr(img)).toBe(URL);
    // The centre of the avatar circle (top-left of the card) shows the photo.
    expect(pixel(img, 56 + 75, 56 + 75)).toEqual([20, 90, 200]);
  });

  it("shrinks and wraps a long Latin name, company and e-mail without overflowing", async () => {
    const { img } = await render("long-latin", {
      displayName: "Maximilian Alexander Fitzgerald-Worthington III of Westminster and Kensington",
      companyName: "International Consolidated Widgets and Logistics Holdings Corporation Limited of Greater London",
      department: "Department of Very Long Department Names and Cross-Functional Strategy Operations",
      phone: "+1 (555) 123-4567 ext. 8901",
      email: "maximilian.alexander.fitzgerald-worthington@international-consolidated-widgets.example",
      locale: "en",
      qrPng,
    });
    expect(decodeQr(img)).toBe(URL);
    expect(gutterIsBlank(img)).toBe(true);
  });

  it("draws an initial-letter avatar without a photo and a GIF photo when given one", async () => {
    const initial = await render("initial", { displayName: "smith", companyName: "Demo Inc.", locale: "en", qrPng });
    const avatarColour = pixel(initial.img, 56 + 20, 56 + 75);
    expect(avatarColour).not.toEqual([255, 255, 255]);

    const gif = await render("gif", {
      displayName: "Smith",
      companyName: "Demo Inc.",
      photo: { bytes: RED_GIF, type: "image/gif" },
      qrPng,
    });
    expect(pixel(gif.img, 56 + 75, 56 + 75)).toEqual([255, 0, 0]);
    expect(decodeQr(gif.img)).toBe(URL);
  });

  it("renders hostile or odd names as plain text", async () => {
    const { img } = await render("hostile", {
      displayName: "<b>x</b> & \"quotes\" 😀",
      companyName: "<script>alert(1)</script>",
      department: null,
      phone: null,
      email: null,
      qrPng,
    });
    expect(decodeQr(img)).toBe(URL);
  });
});
