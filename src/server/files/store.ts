import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** A stored file opened for reading: its size and its bytes as a stream (never held whole in memory). */
export interface StoredFile {
  size: number;
  stream: Readable;
}

/**
 * Where uploaded and generated files live: a folder under DATA_DIR (the embedded default), or an
 * S3-compatible bucket every instance shares (s3-store.ts), chosen by configuration (open-store.ts).
 * Small files (photos, avatars) go through `put`/`get`; media of any size through the streams.
 */
export interface FileStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Writes the stream's bytes under `key`; a reader sees the old file or the whole new one, never a part. */
  putStream(key: string, body: Readable): Promise<void>;
  get(key: string): Promise<Uint8Array<ArrayBuffer> | undefined>;
  open(key: string): Promise<StoredFile | undefined>;
  remove(key: string): Promise<void>;
}

export interface LocalFileStore extends FileStore {
  /** Every stored key (the copy to an object store walks them). */
  keys(): AsyncIterable<string>;
}

const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]*$/;

/** Keys are made by the server, never by users; this keeps a bug from escaping the folder or the bucket prefix. */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.includes("..")) throw new Error(`unsafe file key: ${key}`);
}

const TMP_SUFFIX = ".tmp";

export function localFileStore(root: string): LocalFileStore {
  const resolve = (key: string) => {
    assertSafeKey(key);
    return path.join(root, key);
  };
  /** Written beside the target and renamed over it, so a crash never leaves half a file under the key. */
  async function writeAtomically(key: string, write: (tmp: string) => Promise<void>) {
    const file = resolve(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}${TMP_SUFFIX}`;
    try {
      await write(tmp);
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }
  const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";
  return {
    put: (key, bytes) => writeAtomically(key, (tmp) => fsp.writeFile(tmp, bytes)),
    putStream: (key, body) => writeAtomically(key, (tmp) => pipeline(body, fs.createWriteStream(tmp))),
    async get(key) {
      try {
        return new Uint8Array(await fsp.readFile(resolve(key)));
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async open(key) {
      let handle;
      try {
        handle = await fsp.open(resolve(key), "r");
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
      const { size } = await handle.stat();
      return { size, stream: handle.createReadStream() };
    },
    async remove(key) {
      await fsp.rm(resolve(key), { force: true });
    },
    async *keys() {
      let entries;
      try {
        entries = await fsp.readdir(root, { recursive: true, withFileTypes: true });
      } catch (err) {
        if (missing(err)) return;
        throw err;
      }
      for (const e of entries) {
        if (!e.isFile() || e.name.endsWith(TMP_SUFFIX)) continue;
        yield path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/");
      }
    },
  };
}
