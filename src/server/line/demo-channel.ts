import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config.ts";

export interface DemoChannelCredentials {
  channelId: string;
  channelSecret: string;
  accessToken: string;
  loginChannelId: string;
  loginChannelSecret: string;
}

const FILE = "line-channel.json";
const randomChannelId = () => String(1_000_000_000 + crypto.randomInt(0, 999_999_999));
const randomSecret = () => crypto.randomBytes(16).toString("hex");

/**
 * The demo company's channel: LINE_CHANNEL_* / LINE_LOGIN_CHANNEL_* when set, otherwise random
 * values generated once and kept in `$DATA_DIR/line-channel.json`, so they are random but stable
 * per DATA_DIR (webhook URLs and the emulator's state stay valid across restarts).
 */
export function demoChannelCredentials(config: Config): DemoChannelCredentials {
  const file = path.join(config.dataDir, FILE);
  let stored: Partial<DemoChannelCredentials> = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<DemoChannelCredentials>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const generated: DemoChannelCredentials = {
    channelId: stored.channelId ?? randomChannelId(),
    channelSecret: stored.channelSecret ?? randomSecret(),
    accessToken: stored.accessToken ?? crypto.randomBytes(48).toString("base64url"),
    loginChannelId: stored.loginChannelId ?? randomChannelId(),
    loginChannelSecret: stored.loginChannelSecret ?? randomSecret(),
  };
  if (JSON.stringify(generated) !== JSON.stringify(stored)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(generated, null, 2) + "\n", { mode: 0o600 });
  }
  return {
    channelId: config.line.channelId ?? generated.channelId,
    channelSecret: config.line.channelSecret ?? generated.channelSecret,
    accessToken: config.line.channelAccessToken ?? generated.accessToken,
    loginChannelId: config.line.loginChannelId ?? generated.loginChannelId,
    loginChannelSecret: config.line.loginChannelSecret ?? generated.loginChannelSecret,
  };
}
