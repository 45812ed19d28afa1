import type { Config } from "../config.ts";
import { localFileStore, type FileStore } from "./store.ts";

export interface OpenedFileStore {
  store: FileStore;
  close(): void;
}

/**
 * The store the configuration names. The S3 client is loaded only when a bucket is configured,
 * so the embedded default never carries the AWS SDK.
 */
export async function openFileStore(config: Config["fileStore"]): Promise<OpenedFileStore> {
  if (config.kind === "local") return { store: localFileStore(config.root), close() {} };
  const { s3FileStore } = await import("./s3-store.ts");
  const store = s3FileStore(config);
  return { store, close: () => store.close() };
}
