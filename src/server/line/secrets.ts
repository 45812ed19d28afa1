import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Encrypts channel secrets and tokens at rest with AES-256-GCM. The key comes from SECRET_KEY,
 * or — for a single machine — from `$DATA_DIR/secret.key`, generated once. Several instances
 * sharing one PostgreSQL must all be given the same SECRET_KEY (docs/line.md), or they cannot
 * read each other's rows.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

const VERSION = "v1";

export function loadSecretKey(opts: { secretKey: string | undefined; dataDir: string }): Buffer {
  // SECRET_KEY is free text of ≥ 32 characters; hashing spreads it over exactly 256 bits.
  if (opts.secretKey) return crypto.createHash("sha256").update(opts.secretKey, "utf8").digest();
  const file = path.join(opts.dataDir, "secret.key");
  try {
    return decodeKeyFile(fs.readFileSync(file, "utf8"), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = crypto.randomBytes(32);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  try {
    // "wx": when two processes race on a new DATA_DIR, the loser reads the winner's key.
    fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return decodeKeyFile(fs.readFileSync(file, "utf8"), file);
  }
}

function decodeKeyFile(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return key;
}

export function secretBox(key: Buffer): SecretBox {
  return {
    seal(plain) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
    },
    open(sealed) {
      const [version, data] = sealed.split(":", 2);
      if (version !== VERSION || !data) throw new Error("unknown secret format");
      const raw = Buffer.from(data, "base64");
      const decipher = crypto.createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    },
  };
}
