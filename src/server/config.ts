import { z } from "zod";
import path from "node:path";
import type { S3StoreConfig } from "./files/s3-store.ts";

/**
 * Every environment variable the server reads, parsed once. The README's configuration table
 * is written from this list; keep the two in step.
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// URL")
    .optional(),
  PUBLIC_BASE_URL: z.string().url().optional(),
  LINE_MODE: z.enum(["emulator", "live"]).default("emulator"),
  LINE_ALLOW_INSECURE_PUBLIC_URL: z.enum(["0", "1"]).default("0"),
  LINE_API_BASE_URL: z.string().url().optional(),
  LINE_DATA_API_BASE_URL: z.string().url().optional(),
  LINE_LOGIN_BASE_URL: z.string().url().optional(),
  LINE_AUTHORIZE_BASE_URL: z.string().url().optional(),
  LINE_CHANNEL_ID: z.string().regex(/^\d{6,}$/, "LINE_CHANNEL_ID is numeric").optional(),
  LINE_CHANNEL_SECRET: z.string().min(16).optional(),
  LINE_CHANNEL_ACCESS_TOKEN: z.string().min(16).optional(),
  LINE_LOGIN_CHANNEL_ID: z.string().regex(/^\d{6,}$/, "LINE_LOGIN_CHANNEL_ID is numeric").optional(),
  LINE_LOGIN_CHANNEL_SECRET: z.string().min(16).optional(),
  LINE_EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LINE_PROFILE_MAX_AGE_HOURS: z.coerce.number().positive().default(24),
  LINE_PROFILE_REFRESH_SECONDS: z.coerce.number().positive().default(60),
  LINE_PICTURE_HOSTS: z.string().default("profile.line-scdn.net,obs.line-scdn.net"),
  LINE_STICKER_BASE_URL: z.string().url().optional(),
  LINE_EVENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  LINE_EVENT_HOLD_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "SMTP_URL must be smtp:// or smtps://").optional(),
  MAIL_FROM: z.string().min(3).optional(),
  DEMO_SEED: z.enum(["0", "1"]).optional(),
  DEMO_PASSWORD: z.string().min(8).optional(),
  SECRET_KEY: z.string().min(32, "SECRET_KEY needs at least 32 characters").optional(),
  DEV_TOOLS: z.enum(["0", "1"]).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(24 * 14),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_PREFIX: z
    .string()
    .regex(/^([a-z0-9][a-z0-9_.-]*\/)*$/, "S3_PREFIX is empty or folder names each ending in /")
    .default(""),
  S3_FORCE_PATH_STYLE: z.enum(["0", "1"]).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Set when PUBLIC_BASE_URL is given; otherwise derived from the listening address at start. */
  publicBaseUrl: string | undefined;
  lineMode: "emulator" | "live";
  /**
   * LINE_ALLOW_INSECURE_PUBLIC_URL=1: live mode starts on a non-https PUBLIC_BASE_URL (a LINE
   * stand-in, a trial), with a warning in the log and on the admin LINE page.
   */
  allowInsecurePublicUrl: boolean;
  line: {
    apiBaseUrl: string | undefined;
    dataApiBaseUrl: string | undefined;
    loginBaseUrl: string | undefined;
    authorizeBaseUrl: string | undefined;
    channelId: string | undefined;
    channelSecret: string | undefined;
    channelAccessToken: string | undefined;
    loginChannelId: string | undefined;
    loginChannelSecret: string | undefined;
    emulatorPort: number | undefined;
    /** The background sweep fetches every friend's profile again once its copy is older than this. */
    profileMaxAgeMs: number;
    /** Any activity (an event, a member opening the room or contact) refreshes a profile older than this. */
    profileRefreshMs: number;
    /**
     * Where LINE profile pictures may be fetched from: host names (HTTPS, default port) or whole
     * origins such as `http://127.0.0.1:4000` (a stand-in or test server).
     */
    pictureHosts: string[];
    /**
     * Where sticker pictures are fetched from (LINE's stickershop CDN paths): unset = the emulator
     * in emulator mode, https://stickershop.line-scdn.net in live mode.
     */
    stickerBaseUrl: string | undefined;
    /** Attempts at processing one webhook event before it is parked as failed. */
    eventMaxAttempts: number;
    /**
     * How long a received event waits before it runs, so that an earlier event of the same user
     * delivered a little later (LINE reorders deliveries) still runs first.
     */
    eventHoldMs: number;
  };
  smtpUrl: string | undefined;
  /**
   * Whether the sign-in-less development pages (the /__mail mailbox) are served: with the built-in
   * LINE emulator, or when DEV_TOOLS=1. A live deployment never exposes them by accident.
   */
  devTools: boolean;
  /** From: of invitation e-mails; default `Tsunagu <no-reply@<public host>>`. */
  mailFrom: string | undefined;
  demoSeed: boolean | undefined;
  demoPassword: string | undefined;
  secretKey: string | undefined;
  logLevel: Env["LOG_LEVEL"];
  sessionTtlMs: number;
  /** Reverse proxies in front of the server whose X-Forwarded-For entries name the client (0: the TCP peer is the client). */
  trustProxyHops: number;
  /** Job loops per process; default 4 on PostgreSQL, 1 on PGlite (one connection). */
  workerConcurrency: number | undefined;
  databasePoolSize: number;
  /** Where files live: `$DATA_DIR/files`, or an S3-compatible bucket all instances share (S3_BUCKET). */
  fileStore: { kind: "local"; root: string } | ({ kind: "s3" } & S3StoreConfig);
  shutdown: {
    /**
     * How long /healthz answers 503 while the instance still serves, before it stops accepting:
     * the time a load balancer needs to notice and send new requests elsewhere.
     */
    drainMs: number;
    /** The bound on finishing in-flight requests and running jobs once accepting stopped. */
    timeoutMs: number;
  };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (!e.S3_ACCESS_KEY_ID !== !e.S3_SECRET_ACCESS_KEY) throw new ConfigError("Invalid configuration:\n  S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together");
  if (!e.S3_BUCKET && (e.S3_ENDPOINT || e.S3_ACCESS_KEY_ID)) throw new ConfigError("Invalid configuration:\n  S3_BUCKET: required when other S3_* variables are set");
  const dataDir = path.resolve(e.DATA_DIR);
  const allowInsecurePublicUrl = e.LINE_ALLOW_INSECURE_PUBLIC_URL === "1";
  // LINE fetches pushed images and sender icons from PUBLIC_BASE_URL and takes only HTTPS: on
  // http:// every image and icon would fail on LINE's side, long after the server started.
  if (e.LINE_MODE === "live" && !e.PUBLIC_BASE_URL?.startsWith("https://") && !allowInsecurePublicUrl) {
    const got = e.PUBLIC_BASE_URL ? `it is ${e.PUBLIC_BASE_URL}` : `it is not set, so it would be http://localhost:${e.PORT}`;
    throw new ConfigError(
      `Invalid configuration:\n  PUBLIC_BASE_URL: LINE_MODE=live needs an https:// PUBLIC_BASE_URL (LINE fetches images and sender icons from it over HTTPS only); ${got}.` +
        "\n  Set LINE_ALLOW_INSECURE_PUBLIC_URL=1 to start anyway (a LINE stand-in or a trial; LINE itself will refuse the images).",
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/$/, ""),
    lineMode: e.LINE_MODE,
    allowInsecurePublicUrl,
    line: {
      apiBaseUrl: e.LINE_API_BASE_URL,
      dataApiBaseUrl: e.LINE_DATA_API_BASE_URL,
      loginBaseUrl: e.LINE_LOGIN_BASE_URL,
      authorizeBaseUrl: e.LINE_AUTHORIZE_BASE_URL,
      channelId: e.LINE_CHANNEL_ID,
      channelSecret: e.LINE_CHANNEL_SECRET,
      channelAccessToken: e.LINE_CHANNEL_ACCESS_TOKEN,
      loginChannelId: e.LINE_LOGIN_CHANNEL_ID,
      loginChannelSecret: e.LINE_LOGIN_CHANNEL_SECRET,
      emulatorPort: e.LINE_EMULATOR_PORT,
      profileMaxAgeMs: e.LINE_PROFILE_MAX_AGE_HOURS * 3600_000,
      profileRefreshMs: e.LINE_PROFILE_REFRESH_SECONDS * 1000,
      pictureHosts: e.LINE_PICTURE_HOSTS.split(",").map((h) => h.trim()).filter(Boolean),
      stickerBaseUrl: e.LINE_STICKER_BASE_URL,
      eventMaxAttempts: e.LINE_EVENT_MAX_ATTEMPTS,
      eventHoldMs: e.LINE_EVENT_HOLD_MS,
    },
    smtpUrl: e.SMTP_URL,
    devTools: e.DEV_TOOLS === "1" || e.LINE_MODE === "emulator",
    mailFrom: e.MAIL_FROM,
    demoSeed: e.DEMO_SEED === undefined ? undefined : e.DEMO_SEED === "1",
    demoPassword: e.DEMO_PASSWORD,
    secretKey: e.SECRET_KEY,
    logLevel: e.LOG_LEVEL,
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    fileStore: e.S3_BUCKET
      ? {
          kind: "s3",
          bucket: e.S3_BUCKET,
          prefix: e.S3_PREFIX,
          region: e.S3_REGION,
          endpoint: e.S3_ENDPOINT,
          // Self-hosted servers (the ones that need an endpoint) mostly have no per-bucket host names.
          forcePathStyle: e.S3_FORCE_PATH_STYLE === undefined ? e.S3_ENDPOINT !== undefined : e.S3_FORCE_PATH_STYLE === "1",
          credentials: e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY } : undefined,
        }
      : { kind: "local", root: path.join(dataDir, "files") },
    shutdown: { drainMs: e.SHUTDOWN_DRAIN_MS, timeoutMs: e.SHUTDOWN_TIMEOUT_MS },
  };
}
