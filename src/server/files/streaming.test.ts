import crypto from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { keepHead, peekHead, sizeLimit } from "./streaming.ts";

const chunksOf = (bytes: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
async function readAll(stream: Readable) {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe("streaming helpers", () => {
  it("keepHead passes every byte through and keeps exactly the first n, across chunk boundaries", async () => {
    const bytes = crypto.randomBytes(10_000);
    const head = keepHead(4_100);
    const out = await readAll(chunksOf(bytes, 3_000).pipe(head));
    expect(out.equals(bytes)).toBe(true);
    expect(Buffer.from(head.head()).equals(bytes.subarray(0, 4_100))).toBe(true);
  });

  it("peekHead gives the head for the headers and the whole stream, head included, for the body", async () => {
    const bytes = crypto.randomBytes(200_000);
    const { head, whole } = await peekHead(chunksOf(bytes, 16_384), 65_536);
    expect(Buffer.from(head).equals(bytes.subarray(0, 65_536))).toBe(true);
    expect((await readAll(whole)).equals(bytes)).toBe(true);
    const short = await peekHead(chunksOf(Buffer.from("tiny"), 2), 65_536);
    expect(Buffer.from(short.head).toString()).toBe("tiny");
    expect((await readAll(short.whole)).toString()).toBe("tiny");
  });

  it("sizeLimit fails the stream once more than the limit went through (LINE content over 50 MB)", async () => {
    const tooLarge = () => new Error("too large");
    await expect(pipeline(chunksOf(crypto.randomBytes(5_000), 1_000), sizeLimit(4_096, tooLarge), async function* (src) {
      for await (const chunk of src) yield chunk;
    })).rejects.toThrow("too large");
    expect((await readAll(chunksOf(crypto.randomBytes(4_096), 1_000).pipe(sizeLimit(4_096, tooLarge)))).length).toBe(4_096);
  });
});
