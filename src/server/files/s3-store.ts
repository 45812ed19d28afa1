import type { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { assertSafeKey, type FileStore } from "./store.ts";

export interface S3StoreConfig {
  bucket: string;
  /** Prepended to every key, so one bucket can hold several deployments. */
  prefix: string;
  region: string;
  /** Unset for AWS itself; the endpoint of MinIO, R2, Backblaze, … otherwise. */
  endpoint: string | undefined;
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and most self-hosted servers need. */
  forcePathStyle: boolean;
  /** Unset: the SDK's own chain (AWS_* variables, instance or task roles). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** Parts of a streamed upload; the SDK holds at most PART_SIZE × QUEUE_SIZE bytes of one file. */
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;

export interface S3FileStore extends FileStore {
  /** The size of the object under `key`, or undefined when there is none (the copy skips what is there). */
  sizeOf(key: string): Promise<number | undefined>;
  close(): void;
}

export function s3FileStore(config: S3StoreConfig): S3FileStore {
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials: config.credentials,
    // Checksums only where the API demands them: the newer default (CRC32 trailers on every
    // upload) is refused by several S3-compatible servers, and TLS already guards the bytes.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = config.bucket;
  const objectKey = (key: string) => {
    assertSafeKey(key);
    return `${config.prefix}${key}`;
  };
  const notFound = (err: unknown) => err instanceof NoSuchKey || err instanceof NotFound || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

  async function open(key: string) {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket, Key: objectKey(key) }));
      // In Node the SDK's body is the HTTP response itself (an IncomingMessage).
      const stream = res.Body as Readable;
      return { size: res.ContentLength ?? 0, stream };
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  return {
    async put(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket, Key: objectKey(key), Body: bytes, ContentLength: bytes.length }));
    },
    async putStream(key, body) {
      // Multipart for anything past one part, a single PUT below; S3 shows the object only once complete.
      const upload = new Upload({ client, params: { Bucket, Key: objectKey(key), Body: body }, partSize: PART_SIZE, queueSize: QUEUE_SIZE });
      await upload.done();
    },
    async get(key) {
      const file = await open(key);
      if (!file) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of file.stream) chunks.push(chunk as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    open,
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) }));
    },
    async sizeOf(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: objectKey(key) }));
        return head.ContentLength ?? 0;
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    close() {
      client.destroy();
    },
  };
}

