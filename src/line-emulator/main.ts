import path from "node:path";
import pino from "pino";
import { startLineEmulator } from "./emulator.ts";

/**
 * Stand-alone emulator (`npm run line-emulator`). With LINE_CHANNEL_* set it registers that
 * channel at start; without a separate LINE Login channel the Messaging API channel's id and
 * secret double as the login channel's, which is enough for local runs.
 */
const env = process.env;
const log = pino({ level: env.LOG_LEVEL ?? "info" });
const emulator = await startLineEmulator({
  host: env.HOST ?? "127.0.0.1",
  port: Number(env.LINE_EMULATOR_PORT ?? 3001),
  stateFile: env.DATA_DIR ? path.join(env.DATA_DIR, "line-emulator.json") : undefined,
  log,
});

if (env.LINE_CHANNEL_ID && env.LINE_CHANNEL_SECRET && env.LINE_CHANNEL_ACCESS_TOKEN) {
  emulator.registerChannel({
    channelId: env.LINE_CHANNEL_ID,
    channelSecret: env.LINE_CHANNEL_SECRET,
    accessToken: env.LINE_CHANNEL_ACCESS_TOKEN,
    basicId: env.LINE_BOT_BASIC_ID ?? "@tsunagu",
    botName: env.LINE_BOT_NAME ?? "Tsunagu",
    loginChannelId: env.LINE_LOGIN_CHANNEL_ID ?? env.LINE_CHANNEL_ID,
    loginChannelSecret: env.LINE_LOGIN_CHANNEL_SECRET ?? env.LINE_CHANNEL_SECRET,
    webhookUrl: env.LINE_WEBHOOK_URL,
  });
  log.info({ channelId: env.LINE_CHANNEL_ID }, "channel registered");
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
