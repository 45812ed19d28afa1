import type { Logger } from "pino";
import { sniffImage } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";

/** LINE's sticker CDN; the emulator serves the same paths on its own origin. */
export const LINE_STICKER_BASE_URL = "https://stickershop.line-scdn.net";

/** LINE's sticker ids are digits; anything else never reaches a URL or a file key. */
export const STICKER_ID = /^\d{1,12}$/;

/** A static sticker is a PNG of a few dozen KB; more than this is not a sticker. */
const STICKER_MAX_BYTES = 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;
/** After a failed fetch, members asking again get the fallback at once instead of a fetch each. */
const FAILURE_PAUSE_MS = 5 * 60_000;
const FAILURES_KEPT = 1000;

export class StickerUnavailable extends Error {}

/** LINE's image URL of a sticker (the static Android PNG every sticker has). */
export const stickerImageUrl = (baseUrl: string, stickerId: string) => `${baseUrl.replace(/\/+$/, "")}/stickershop/v1/sticker/${stickerId}/android/sticker.png`;

/**
 * Sticker pictures, served from our origin: fetched once from LINE's CDN (or the emulator), kept in
 * the FileStore under `stickers/<id>`, and shared by every member and instance. Members' browsers
 * never contact LINE, so the web app's CSP stays `img-src 'self'` and LINE learns nothing of who
 * reads which room (docs/decisions.md, "Stickers as pictures").
 */
export function createStickerImages(deps: { files: FileStore; baseUrl: string; log: Logger; clock: () => Date }) {
  const { files, baseUrl, log, clock } = deps;
  const origin = new URL(baseUrl).origin;
  const inFlight = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const failedAt = new Map<string, number>();

  async function download(stickerId: string): Promise<Uint8Array<ArrayBuffer>> {
    const url = stickerImageUrl(baseUrl, stickerId);
    // The URL is built from digits and the configured origin, but a redirect could lead anywhere.
    if (new URL(url).origin !== origin) throw new StickerUnavailable("sticker URL left its origin");
    const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new StickerUnavailable(`sticker image answered ${res.status}`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > STICKER_MAX_BYTES) throw new StickerUnavailable(`sticker image of ${bytes.length} bytes is too large`);
    if (!(await sniffImage(bytes))) throw new StickerUnavailable("sticker image is not a PNG, JPEG or GIF");
    await files.put(`stickers/${stickerId}`, bytes);
    return bytes;
  }

  /** The sticker's picture, from the store or fetched now (concurrent asks share one fetch). */
  async function image(stickerId: string): Promise<Uint8Array<ArrayBuffer>> {
    if (!STICKER_ID.test(stickerId)) throw new StickerUnavailable("not a sticker id");
    const stored = await files.get(`stickers/${stickerId}`);
    if (stored) return stored;
    const failed = failedAt.get(stickerId);
    if (failed !== undefined && clock().getTime() - failed < FAILURE_PAUSE_MS) throw new StickerUnavailable("sticker image failed recently");
    let pending = inFlight.get(stickerId);
    if (!pending) {
      pending = download(stickerId)
        .catch((err: unknown) => {
          if (failedAt.size >= FAILURES_KEPT) failedAt.clear();
          failedAt.set(stickerId, clock().getTime());
          log.warn({ err, stickerId }, "sticker image unavailable");
          throw err instanceof StickerUnavailable ? err : new StickerUnavailable("sticker image could not be fetched");
        })
        .finally(() => inFlight.delete(stickerId));
      inFlight.set(stickerId, pending);
    }
    return pending;
  }

  return { image };
}

export type StickerImages = ReturnType<typeof createStickerImages>;
