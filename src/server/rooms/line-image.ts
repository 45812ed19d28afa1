import type { Sharp } from "sharp";
import { sniffType } from "../files/content-policy.ts";
import { Problem } from "../http/problem.ts";

/**
 * LINE's rules for an image message (developers.line.biz, "Image message"): `originalContentUrl`
 * a JPEG or PNG of at most 10 MB, `previewImageUrl` a JPEG or PNG of at most 1 MB. LINE writes
 * "MB"; decimal megabytes are the reading that can never be too large.
 */
export const LINE_ORIGINAL_MAX_BYTES = 10_000_000;
export const LINE_PREVIEW_MAX_BYTES = 1_000_000;

/**
 * What a member may send as an image: what phones and browsers produce and the member's own web
 * app can show back (content-policy's inline types). HEIC is not here: sharp's prebuilt libvips
 * has no HEVC decoder.
 */
export type RoomImageType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";
const ROOM_IMAGE_TYPES: ReadonlySet<string> = new Set<RoomImageType>(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export async function sniffRoomImage(bytes: Uint8Array): Promise<RoomImageType | undefined> {
  const type = await sniffType(bytes);
  return type && ROOM_IMAGE_TYPES.has(type) ? (type as RoomImageType) : undefined;
}

/**
 * A decompression bomb (a small file of a huge blank canvas) is refused before it is decoded.
 * 100 megapixels covers the largest phone sensors' full-resolution mode.
 */
const MAX_INPUT_PIXELS = 100_000_000;

/** Long sides tried, largest first, until an encoding fits its limit; the last ones always fit. */
const ORIGINAL_SIDES = [undefined, 4096, 3072, 2048, 1024] as const;
const PREVIEW_SIDES = [1024, 768, 512, 240] as const;

export interface LineImageFile {
  bytes: Buffer;
  type: "image/jpeg" | "image/png";
  width: number;
  height: number;
}

/** `"upload"`: the member's bytes already are what LINE accepts and are sent unchanged. */
export interface LineImage {
  original: LineImageFile | "upload";
  /** `"original"`: the LINE original is small enough to be its own preview. */
  preview: LineImageFile | "original";
}

/** sharp (libvips, a native library of its own) is loaded with the first image, not at every start. */
const loadSharp = async () => (await import("sharp")).default;

/**
 * One decoder for every attempt: the first frame only (sharp's default for GIF and WebP, so an
 * animation becomes its first picture), turned upright by its EXIF orientation because the
 * encodings below carry no metadata (which also drops a photo's GPS position).
 */
const decode = async (input: Uint8Array) => (await loadSharp())(input, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true }).rotate();

async function encode(input: Uint8Array, side: number | undefined, format: "jpeg" | "png", quality: number): Promise<LineImageFile> {
  let img: Sharp = await decode(input);
  if (side) img = img.resize({ width: side, height: side, fit: "inside", withoutEnlargement: true });
  img =
    format === "jpeg"
      ? // A transparent source flattened onto white, as LINE's chat background is light.
        img.flatten({ background: "#ffffff" }).jpeg({ quality, mozjpeg: true })
      : // A palette (≤ 256 colours, dithered) keeps transparency at a fraction of a full PNG's size.
        img.png({ compressionLevel: 9, palette: quality < 100, quality });
  const { data, info } = await img.toBuffer({ resolveWithObject: true });
  return { bytes: data, type: format === "jpeg" ? "image/jpeg" : "image/png", width: info.width, height: info.height };
}

/** The first encoding within `max` bytes; the last attempt is a small JPEG, which always fits. */
async function fit(input: Uint8Array, sides: readonly (number | undefined)[], format: "jpeg" | "png", quality: number, max: number): Promise<LineImageFile> {
  for (const side of sides) {
    const out = await encode(input, side, format, quality);
    if (out.bytes.length <= max) return out;
  }
  return encode(input, 240, "jpeg", 70);
}

/**
 * What LINE is sent for a member's image. JPEG and PNG within the limit and without metadata go
 * unchanged (no second lossy encoding); anything else is re-encoded: PNG when the picture has transparency
 * or came from a GIF (flat colours, where PNG is both smaller and exact), JPEG otherwise. The
 * preview is at most 1024 px on its long side: LINE shows it in the chat at phone width.
 */
export async function prepareLineImage(input: Uint8Array, type: RoomImageType): Promise<LineImage> {
  // A full decode, also of what goes unchanged: a truncated file whose header reads well would
  // reach LINE as a broken picture. It also tells real transparency from an alpha channel that is
  // opaque everywhere (which would make a photo's preview a needlessly large PNG).
  const { isOpaque } = await (await decode(input)).stats();
  const transparent = !isOpaque;
  const lossless = transparent || type === "image/gif";
  // A phone photo's EXIF carries where it was taken (GPS) and the camera: a LINE user outside the
  // company gets none of it. Such a file is re-encoded (upright, without metadata) even when LINE
  // would take it as it is; the member's own copy keeps it.
  const meta = await (await loadSharp())(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  const carriesMetadata = Boolean(meta.exif ?? meta.xmp ?? meta.iptc);
  const sendable = (type === "image/jpeg" || type === "image/png") && input.length <= LINE_ORIGINAL_MAX_BYTES && !carriesMetadata;
  const original = sendable ? "upload" : await fit(input, ORIGINAL_SIDES, lossless ? "png" : "jpeg", lossless ? 100 : 90, LINE_ORIGINAL_MAX_BYTES);
  const originalBytes = original === "upload" ? input.length : original.bytes.length;
  const preview = originalBytes <= LINE_PREVIEW_MAX_BYTES ? "original" : await fit(input, PREVIEW_SIDES, transparent ? "png" : "jpeg", 80, LINE_PREVIEW_MAX_BYTES);
  return { original, preview };
}

/**
 * sharp decodes, resizes and encodes on libuv's thread pool, never on the event loop; but that pool
 * (4 threads) also serves file reads and DNS, and each image takes libvips' own threads besides.
 * So one image is converted at a time per process, and a long queue answers 503 like the CPU pool.
 */
export function createLineImageConverter(opts: { maxWaiting?: number } = {}) {
  const maxWaiting = opts.maxWaiting ?? 16;
  let waiting = 0;
  let tail: Promise<unknown> = Promise.resolve();
  return async function convert(input: Uint8Array, type: RoomImageType): Promise<LineImage> {
    if (waiting >= maxWaiting) throw new Problem(503, "server_busy", "Busy", "The server has too many images to convert; try again in a few seconds.", { retryAfter: 5 });
    waiting++;
    const run = tail.then(async () => {
      try {
        return await prepareLineImage(input, type);
      } catch {
        // The bytes looked like an image by their signature but do not decode (truncated, corrupt,
        // too large a canvas); libvips' own words would tell a member nothing.
        throw new Problem(415, "unsupported_media_type", "Not a supported image", "This image cannot be read. Send a JPG, PNG, GIF or WebP image of at most 100 megapixels.");
      } finally {
        waiting--;
      }
    });
    tail = run.catch(() => undefined);
    return run;
  };
}

export type LineImageConverter = ReturnType<typeof createLineImageConverter>;
