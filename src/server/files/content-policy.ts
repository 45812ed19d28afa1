import { Readable } from "node:stream";
import type { Context } from "hono";
import type { StoredFile } from "./store.ts";
import { peekHead } from "./streaming.ts";

/**
 * The one policy for every response that carries bytes a user or LINE gave us (message content,
 * photos, avatars, sender icons, public media URLs). Such bytes are hostile until proven otherwise:
 * an "image" can be an SVG or HTML page with a script that would run on our origin (stored XSS).
 * So the type is read from the bytes, never taken from whoever declared it, and only types a
 * browser can only display (never execute) are served inline.
 */

export type ImageType = "image/png" | "image/jpeg" | "image/gif";
const IMAGE_TYPES: ReadonlySet<string> = new Set<ImageType>(["image/png", "image/jpeg", "image/gif"]);

/** Inline-safe: images the <img> tag shows and the media the room's players play. */
const INLINE_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "audio/mp4", "audio/mpeg"]);

/** file-type's names for types we know under their registered name (an M4A is audio/mp4; an APNG is a PNG). */
const CANONICAL: Record<string, string> = { "audio/x-m4a": "audio/mp4", "image/apng": "image/png" };

export const OPAQUE_TYPE = "application/octet-stream";

/** The type the bytes really are, or undefined when they match no known signature (text, HTML, SVG, …). */
export async function sniffType(bytes: Uint8Array): Promise<string | undefined> {
  // Loaded with the first upload rather than at start (its signature tables are large).
  const { fileTypeFromBuffer } = await import("file-type");
  const found = await fileTypeFromBuffer(bytes);
  return found && (CANONICAL[found.mime] ?? found.mime);
}

/** A photo we accept (members, contacts, LINE avatars): PNG, JPEG or GIF by its bytes. */
export async function sniffImage(bytes: Uint8Array): Promise<ImageType | undefined> {
  const type = await sniffType(bytes);
  return type && IMAGE_TYPES.has(type) ? (type as ImageType) : undefined;
}

/** The type to record for stored content: what the bytes are, or opaque. */
export async function storedType(bytes: Uint8Array): Promise<string> {
  return (await sniffType(bytes)) ?? OPAQUE_TYPE;
}

export interface ServeOptions {
  /** Shown to whoever saves the file; never decides how it is rendered. */
  fileName?: string | null;
  /**
   * Who may embed the bytes. "same-origin" for everything behind a session: no other site can
   * pull a member's content into its page. "cross-origin" only for the signed public URLs LINE
   * fetches and LINE's apps show (see lineMediaRoutes).
   */
  embed: "same-origin" | "cross-origin";
  cacheControl: string;
}

/** RFC 6266 / RFC 5987: an ASCII fallback for old clients and the exact UTF-8 name. */
export function contentDisposition(kind: "inline" | "attachment", fileName?: string | null): string {
  if (!fileName) return kind;
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The headers for hostile bytes: inline only for the allow-list, a download for everything else. */
export async function contentHeaders(bytes: Uint8Array, opts: ServeOptions): Promise<Record<string, string>> {
  const sniffed = await sniffType(bytes);
  const inline = sniffed !== undefined && INLINE_TYPES.has(sniffed);
  return {
    "Content-Type": inline ? sniffed : OPAQUE_TYPE,
    "Content-Disposition": contentDisposition(inline ? "inline" : "attachment", opts.fileName),
    // Even if a browser were talked into rendering the bytes as a document, it gets no script,
    // no origin (sandbox) and no subresources.
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": opts.embed,
    "Cache-Control": opts.cacheControl,
  };
}

export async function serveContent(c: Context, bytes: Uint8Array<ArrayBuffer>, opts: ServeOptions): Promise<Response> {
  return c.body(bytes, 200, await contentHeaders(bytes, opts));
}

/** The same policy for a file of any size, streamed from the store: the type is read from its head. */
export async function serveStoredFile(c: Context, file: StoredFile, opts: ServeOptions): Promise<Response> {
  const { head, whole } = await peekHead(file.stream);
  const headers = await contentHeaders(head, opts);
  return c.body(Readable.toWeb(whole) as ReadableStream<Uint8Array>, 200, { ...headers, "Content-Length": String(file.size) });
}
