import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, type TestS3 } from "../../../test/support/s3.ts";
import { loadConfig } from "../config.ts";
import { copyLocalFilesToBucket } from "./copy-to-bucket.ts";
import { s3FileStore, type S3FileStore } from "./s3-store.ts";
import { localFileStore, type FileStore } from "./store.ts";

/**
 * One contract, two stores: the local folder and an S3 bucket on a real S3-compatible server
 * (s3rver in its own process), reached over HTTP through the AWS SDK.
 */
const ROOT = path.resolve(import.meta.dirname, "../../..");
let s3: TestS3;
const tmpDirs: string[] = [];
const buckets: S3FileStore[] = [];
const tmpDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-files-"));
  tmpDirs.push(dir);
  return dir;
};
const bucketStore = (env: Record<string, string> = {}) => {
  const config = loadConfig({ ...s3.env, ...env }).fileStore;
  if (config.kind !== "s3") throw new Error("S3_BUCKET did not select the S3 store");
  const store = s3FileStore(config);
  buckets.push(store);
  return store;
};

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  for (const b of buckets) b.close();
  await s3?.stop();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function readAll(stream: Readable) {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// A full collection before each reading, so what is measured is memory still held, not garbage.
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;
let peakHeld = 0;
let baseline = 0;
function sampleHeld() {
  collectGarbage();
  peakHeld = Math.max(peakHeld, process.memoryUsage().arrayBuffers - baseline);
}

/** `mb` MiB of deterministic bytes made one MiB at a time, so the test never holds the whole file either. */
function bigStream(mb: number, seed: string) {
  const hash = crypto.createHash("sha256");
  async function* chunks() {
    for (let i = 0; i < mb; i++) {
      sampleHeld();
      const chunk = crypto.createHash("sha512").update(`${seed}:${i}`).digest();
      const block = Buffer.alloc(1024 * 1024);
      for (let o = 0; o < block.length; o += chunk.length) chunk.copy(block, o);
      hash.update(block);
      yield block;
    }
  }
  return { stream: Readable.from(chunks()), digest: () => hash.digest("hex") };
}

describe.each([
  ["local folder", () => localFileStore(tmpDir())],
  ["S3 bucket", () => bucketStore()],
] as const)("FileStore on a %s", (_name, makeStore: () => FileStore) => {
  it("stores, reads, replaces and removes files by key; a missing key is undefined, never an error", async () => {
    const store = makeStore();
    const key = `photos/${crypto.randomUUID()}`;
    expect(await store.get(key)).toBeUndefined();
    expect(await store.open(key)).toBeUndefined();
    await store.put(key, new TextEncoder().encode("first"));
    await store.put(key, new TextEncoder().encode("second"));
    expect(new TextDecoder().decode(await store.get(key))).toBe("second");
    const opened = (await store.open(key))!;
    expect(opened.size).toBe(6);
    expect((await readAll(opened.stream)).toString()).toBe("second");
    await store.remove(key);
    await store.remove(key);
    expect(await store.get(key)).toBeUndefined();
    await expect(store.put("../escape", new Uint8Array(1))).rejects.toThrow(/unsafe file key/);
  });

  it("streams a 64 MiB file in and out without holding it in memory", { timeout: 120_000 }, async () => {
    const store = makeStore();
    const key = `messages/big/${crypto.randomUUID()}`;
    const source = bigStream(64, key);
    collectGarbage();
    baseline = process.memoryUsage().arrayBuffers;
    peakHeld = 0;
    await store.putStream(key, source.stream);
    const opened = (await store.open(key))!;
    expect(opened.size).toBe(64 * 1024 * 1024);
    const hash = crypto.createHash("sha256");
    let read = 0;
    for await (const chunk of opened.stream) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      if (read % (1024 * 1024) < (chunk as Buffer).length) sampleHeld();
    }
    expect(hash.digest("hex")).toBe(source.digest());
    // S3: parts of 5 MiB, two in flight plus the one filling, and the SDK's copies: bounded, not the file's 64 MiB.
    expect(peakHeld).toBeLessThan(32 * 1024 * 1024);
    await store.remove(key);
  });

  it("a stream that fails midway leaves nothing under the key", async () => {
    const store = makeStore();
    const key = `messages/broken/${crypto.randomUUID()}`;
    async function* failing() {
      yield Buffer.alloc(1024, 1);
      throw new Error("LINE hung up");
    }
    await expect(store.putStream(key, Readable.from(failing()))).rejects.toThrow(/LINE hung up/);
    expect(await store.get(key)).toBeUndefined();
  });
});

describe("S3 settings", () => {
  it("keeps every key under S3_PREFIX, so deployments can share a bucket", async () => {
    const prefixed = bucketStore({ S3_PREFIX: "tenant-a/" });
    const whole = bucketStore();
    const key = `avatars/${crypto.randomUUID()}`;
    await prefixed.put(key, new TextEncoder().encode("under a prefix"));
    expect(await whole.get(key)).toBeUndefined();
    expect(new TextDecoder().decode(await whole.get(`tenant-a/${key}`))).toBe("under a prefix");
  });

  it("refuses half a configuration", () => {
    expect(() => loadConfig({ S3_ENDPOINT: s3.endpoint })).toThrow(/S3_BUCKET/);
    expect(() => loadConfig({ S3_BUCKET: "b-1", S3_ACCESS_KEY_ID: "x" })).toThrow(/go together/);
    expect(loadConfig({}).fileStore.kind).toBe("local");
  });
});

describe("moving local files to the bucket", () => {
  it("copies every file once, skips what is already there, and `npm run files:copy-to-s3` does it from the command line", { timeout: 120_000 }, async () => {
    const dataDir = tmpDir();
    const local = localFileStore(path.join(dataDir, "files"));
    const prefix = `copy-${crypto.randomBytes(4).toString("hex")}/`;
    const bucket = bucketStore({ S3_PREFIX: prefix });
    const files: Record<string, Buffer> = {
      "members/m1/photo-1": crypto.randomBytes(3000),
      "avatars/u1": crypto.randomBytes(10),
      "messages/r1/m1": crypto.randomBytes(7 * 1024 * 1024),
    };
    for (const [key, bytes] of Object.entries(files)) await local.put(key, bytes);

    const first = await copyLocalFilesToBucket(local, bucket, () => {});
    expect(first).toMatchObject({ copied: 3, skipped: 0 });
    for (const [key, bytes] of Object.entries(files)) expect(Buffer.from((await bucket.get(key))!).equals(bytes)).toBe(true);

    // A file written after the first pass (instances still on the folder) is what a second pass copies.
    await local.put("members/m2/photo-1", crypto.randomBytes(500));
    const cli = await runCopyCommand({ ...s3.env, S3_PREFIX: prefix, DATA_DIR: dataDir });
    expect(cli.code, cli.output).toBe(0);
    expect(cli.output).toMatch(/1 files copied \(500 bytes\), 3 already in/);
    expect((await bucket.get("members/m2/photo-1"))?.length).toBe(500);

    const unconfigured = await runCopyCommand({ DATA_DIR: dataDir });
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.output).toMatch(/Set S3_BUCKET/);
  });
});

function runCopyCommand(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("S3_") && k !== "DATA_DIR" && k !== "DATABASE_URL"));
  const child = spawn("npm", ["run", "--silent", "files:copy-to-s3"], { cwd: ROOT, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}
