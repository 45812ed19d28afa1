/**
 * What the LINE app does with an image message: it downloads `originalContentUrl` and
 * `previewImageUrl`, and shows nothing when either is not a JPEG or PNG within LINE's limits
 * (10 MB and 1 MB). The emulator downloads both the same way, after answering the push as LINE
 * does (a bot's server may be the one waiting for that answer), and records what it got on the
 * chat entry, and a broken rule as a violation, so every test that pushes an image checks it.
 */

export const IMAGE_LIMITS = { originalContentUrl: 10_000_000, previewImageUrl: 1_000_000 } as const;
type ImageUrlField = keyof typeof IMAGE_LIMITS;

export interface FetchedImage {
  url: string;
  /** The HTTP status, or `unreachable` (nothing answered: a server shutting down is no broken rule). */
  status: number | "unreachable";
  /** By the bytes' signature, as LINE's app decodes them, not by Content-Type. */
  format?: "jpeg" | "png" | "gif" | "webp" | "other";
  /** Counted up to one byte past the limit. */
  bytes?: number;
}

export type ImageMediaCheck = Record<ImageUrlField, FetchedImage> & { problems: string[] };

function formatOf(head: Uint8Array): FetchedImage["format"] {
  const starts = (...sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "png";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...head.subarray(8, 12)) === "WEBP") return "webp";
  return "other";
}

async function fetchImage(url: string, limit: number): Promise<FetchedImage> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(15_000) });
  } catch {
    return { url, status: "unreachable" };
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    return { url, status: res.status };
  }
  let bytes = 0;
  let head = new Uint8Array(0);
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (head.length < 12) head = new Uint8Array([...head, ...value.subarray(0, 12 - head.length)]);
      bytes += value.length;
      // Past the limit the answer is known; the rest need not be downloaded.
      if (bytes > limit) break;
    }
  } catch {
    return { url, status: "unreachable" };
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return { url, status: res.status, format: formatOf(head), bytes };
}

export async function checkImageMessage(message: Record<string, unknown>): Promise<ImageMediaCheck> {
  const fields = Object.keys(IMAGE_LIMITS) as ImageUrlField[];
  const fetched = await Promise.all(fields.map((f) => fetchImage(String(message[f]), IMAGE_LIMITS[f])));
  const check = { problems: [] as string[] } as ImageMediaCheck;
  fields.forEach((field, i) => {
    const got = fetched[i]!;
    check[field] = got;
    if (got.status === "unreachable") return;
    if (got.status !== 200) check.problems.push(`${field}: ${got.url} answered ${got.status}`);
    else if (got.format !== "jpeg" && got.format !== "png") check.problems.push(`${field}: a ${got.format} image; LINE shows only JPEG or PNG`);
    else if ((got.bytes ?? 0) > IMAGE_LIMITS[field]) check.problems.push(`${field}: more than ${IMAGE_LIMITS[field]} bytes, LINE's limit`);
  });
  return check;
}
