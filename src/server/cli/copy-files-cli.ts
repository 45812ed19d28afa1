/**
 * `npm run files:copy-to-s3`: copies `$DATA_DIR/files` to the bucket that the S3_* variables
 * name, skipping what is already there with the same size. Run it before switching instances to
 * the bucket and once more right after (docs/operations.md). Exit codes: 0 done, 1 failed, 2 bad configuration.
 */
import path from "node:path";
import { cliConfig } from "./cli-config.ts";
import { copyLocalFilesToBucket } from "../files/copy-to-bucket.ts";
import { s3FileStore } from "../files/s3-store.ts";
import { localFileStore } from "../files/store.ts";

async function main(): Promise<number> {
  const config = cliConfig();
  if (!config) return 2;
  if (config.fileStore.kind !== "s3") {
    console.error("Set S3_BUCKET (and S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY as needed) to name the bucket to copy to.");
    return 2;
  }
  const source = path.join(config.dataDir, "files");
  const bucket = s3FileStore(config.fileStore);
  try {
    const report = await copyLocalFilesToBucket(localFileStore(source), bucket, (key, copied) => console.log(`${copied ? "copied " : "present"} ${key}`));
    console.log(`${report.copied} files copied (${report.bytes} bytes), ${report.skipped} already in s3://${config.fileStore.bucket}/${config.fileStore.prefix}`);
    return 0;
  } catch (err) {
    console.error(err);
    return 1;
  } finally {
    bucket.close();
  }
}

process.exitCode = await main();
