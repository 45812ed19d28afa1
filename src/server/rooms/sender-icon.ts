import { Resvg } from "@resvg/resvg-js";
import type { ImageType } from "../files/content-policy.ts";

export const ICON_SIZE = 256;

/**
 * LINE shows a push's `sender.iconUrl` only if it is a square PNG of at most 1 MB. Member photos
 * are any JPG/PNG/GIF, so they are centre-cropped ("slice") into a 256×256 PNG.
 */
export function squarePngIcon(bytes: Uint8Array, type: ImageType): Buffer {
  const href = `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${ICON_SIZE}" height="${ICON_SIZE}">
<image width="${ICON_SIZE}" height="${ICON_SIZE}" preserveAspectRatio="xMidYMid slice" xlink:href="${href}"/></svg>`;
  return new Resvg(svg, { fitTo: { mode: "width", value: ICON_SIZE } }).render().asPng();
}
