import { Hono } from "hono";
import { Resvg } from "@resvg/resvg-js";

/**
 * LINE's sticker CDN (stickershop.line-scdn.net) stands in here at the same path, so the only
 * thing Tsunagu changes between the emulator and LINE is the origin, and nothing needs the internet.
 */
export const stickerImagePath = (stickerId: string) => `/stickershop/v1/sticker/${stickerId}/android/sticker.png`;

type Mouth = "smile" | "grin" | "flat" | "frown" | "open";

/** The faces of the sticker ids Tsunagu offers (packages 446 and 11537); any other id gets a face from its digits. */
const KNOWN: Record<string, { hue: number; mouth: Mouth; label: string }> = {
  "1988": { hue: 45, mouth: "smile", label: "Smile" },
  "1989": { hue: 340, mouth: "grin", label: "Love" },
  "1990": { hue: 120, mouth: "smile", label: "OK" },
  "1991": { hue: 200, mouth: "flat", label: "Thanks" },
  "1992": { hue: 220, mouth: "frown", label: "Sad" },
  "1993": { hue: 280, mouth: "open", label: "Yay" },
  "52002734": { hue: 30, mouth: "grin", label: "Cheer" },
  "52002735": { hue: 160, mouth: "smile", label: "Nice" },
  "52002736": { hue: 0, mouth: "open", label: "Wow" },
  "52002738": { hue: 260, mouth: "frown", label: "Sorry" },
};

const MOUTHS: Mouth[] = ["smile", "grin", "flat", "frown", "open"];

/** A word for the sticker, for alt text in the emulator's chat. */
export function stickerLabel(stickerId: string): string {
  return KNOWN[stickerId]?.label ?? `Sticker ${stickerId}`;
}

function face(stickerId: string): { hue: number; mouth: Mouth } {
  const known = KNOWN[stickerId];
  if (known) return known;
  let h = 0;
  for (const ch of stickerId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return { hue: h % 360, mouth: MOUTHS[h % MOUTHS.length]! };
}

const MOUTH_PATHS: Record<Mouth, string> = {
  smile: `<path d="M44 80 Q64 100 84 80" stroke="#222" stroke-width="6" fill="none" stroke-linecap="round"/>`,
  grin: `<path d="M40 74 Q64 108 88 74 Z" fill="#222"/>`,
  flat: `<path d="M46 86 H82" stroke="#222" stroke-width="6" stroke-linecap="round"/>`,
  frown: `<path d="M44 92 Q64 74 84 92" stroke="#222" stroke-width="6" fill="none" stroke-linecap="round"/>`,
  open: `<ellipse cx="64" cy="86" rx="12" ry="14" fill="#222"/>`,
};

/**
 * Drawn without text on purpose: resvg would need a font, and a face reads the same in every
 * language. PNG, like LINE's stickers, because Tsunagu serves only PNG/JPEG/GIF inline.
 */
function drawSticker(stickerId: string): Buffer {
  const { hue, mouth } = face(stickerId);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
<circle cx="64" cy="64" r="58" fill="hsl(${hue},80%,62%)" stroke="hsl(${hue},60%,35%)" stroke-width="4"/>
<circle cx="46" cy="52" r="8" fill="#222"/><circle cx="82" cy="52" r="8" fill="#222"/>
${MOUTH_PATHS[mouth]}</svg>`;
  return new Resvg(svg).render().asPng();
}

const STICKER_ID = /^\d{1,12}$/;

/** GET <LINE's sticker image path>: a generated PNG per sticker id, drawn once per process. */
export function stickerRoutes() {
  const app = new Hono();
  const drawn = new Map<string, Buffer>();
  app.get("/stickershop/v1/sticker/:stickerId/android/sticker.png", (c) => {
    const id = c.req.param("stickerId");
    if (!STICKER_ID.test(id)) return c.json({ message: "Not found" }, 404);
    let png = drawn.get(id);
    if (!png) {
      png = drawSticker(id);
      // Bounded: any digits are a valid id, and the emulator may run for days.
      if (drawn.size < 256) drawn.set(id, png);
    }
    return c.body(new Uint8Array(png), 200, { "content-type": "image/png", "cache-control": "public, max-age=86400" });
  });
  return app;
}
