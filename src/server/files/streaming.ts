import { Readable, Transform } from "node:stream";

/**
 * How much of a streamed file is read to tell its type. file-type needs 4,100 bytes for most
 * signatures; an MP3 whose ID3 tag comes first needs to see past the tag, so more is kept.
 */
export const SNIFF_BYTES = 64 * 1024;

/** Passes bytes through unchanged and keeps the first `n` of them for sniffing. */
export function keepHead(n = SNIFF_BYTES): Transform & { head(): Uint8Array } {
  const parts: Buffer[] = [];
  let kept = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (kept < n) {
        const part = chunk.subarray(0, n - kept);
        parts.push(Buffer.from(part));
        kept += part.length;
      }
      done(null, chunk);
    },
  });
  return Object.assign(t, { head: () => new Uint8Array(Buffer.concat(parts)) });
}

/** Fails the stream with `tooLarge()` once more than `max` bytes went through. */
export function sizeLimit(max: number, tooLarge: () => Error): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > max) done(tooLarge());
      else done(null, chunk);
    },
  });
}

/**
 * Reads the first `n` bytes of a stream (fewer if it ends sooner) and gives back a stream of all
 * of it, those bytes first: the headers of a response depend on the head, the body is the whole.
 */
export async function peekHead(stream: Readable, n = SNIFF_BYTES): Promise<{ head: Uint8Array; whole: Readable }> {
  const parts: Buffer[] = [];
  let kept = 0;
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (kept < n) {
    const next = await iterator.next();
    if (next.done) break;
    parts.push(next.value);
    kept += next.value.length;
  }
  const head = Buffer.concat(parts);
  async function* whole() {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const out = Readable.from(whole(), { objectMode: false });
  // A client that goes away mid-download must release the file or the bucket's connection.
  out.once("close", () => {
    if (!stream.destroyed) stream.destroy();
  });
  return { head: new Uint8Array(head.subarray(0, n)), whole: out };
}
