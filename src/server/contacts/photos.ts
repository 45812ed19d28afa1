import crypto from "node:crypto";
import type { FileStore } from "../files/store.ts";
import { sniffImage } from "../files/content-policy.ts";
import { Problem } from "../http/problem.ts";

export const CONTACT_PHOTO_MAX_BYTES = 10 * 1024 * 1024;
const EXT = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" } as const;

/**
 * Stores a contact photo under a content-addressed key: a retried job writes the same file,
 * and the key changes exactly when the picture does (it versions the photo URL).
 */
export async function storeContactPhoto(files: FileStore, contactId: string, bytes: Uint8Array): Promise<string> {
  if (bytes.length >= CONTACT_PHOTO_MAX_BYTES) throw new Problem(413, "payload_too_large", "Photo too large", "A photo must be smaller than 10 MB.");
  const type = await sniffImage(bytes);
  if (!type) throw new Problem(415, "unsupported_media_type", "Not a supported image", "Upload a JPG, PNG or GIF image.");
  const digest = crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 24);
  const key = `photos/contacts/${contactId}/${digest}.${EXT[type]}`;
  await files.put(key, bytes);
  return key;
}
