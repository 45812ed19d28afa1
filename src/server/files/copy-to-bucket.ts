import type { S3FileStore } from "./s3-store.ts";
import type { LocalFileStore } from "./store.ts";

export interface CopyReport {
  copied: number;
  /** Already in the bucket with the same size: a second run (after the switch-over) copies only what changed. */
  skipped: number;
  bytes: number;
}

/**
 * Copies every file of the local folder to the bucket, one stream at a time, so a deployment
 * that started on one machine can move to an object store without holding any file in memory.
 */
export async function copyLocalFilesToBucket(from: LocalFileStore, to: S3FileStore, progress: (key: string, copied: boolean) => void): Promise<CopyReport> {
  const report: CopyReport = { copied: 0, skipped: 0, bytes: 0 };
  for await (const key of from.keys()) {
    const file = await from.open(key);
    // Removed since the listing (a replaced photo): nothing to copy.
    if (!file) continue;
    if ((await to.sizeOf(key)) === file.size) {
      file.stream.destroy();
      report.skipped++;
      progress(key, false);
      continue;
    }
    await to.putStream(key, file.stream);
    report.copied++;
    report.bytes += file.size;
    progress(key, true);
  }
  return report;
}
