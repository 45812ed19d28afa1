import { Hono } from "hono";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import type { FileStore } from "../files/store.ts";
import type { AppEnv } from "../http/env.ts";
import { createChannelService } from "./channels.ts";
import { LIVE_ENDPOINTS, type LineEndpoints, type RetryPolicy } from "./client.ts";
import { createHandlerRegistry } from "./handlers.ts";
import { createInbox } from "./inbox.ts";
import { createLineLogin } from "./login.ts";
import { createProfileSync } from "./profile-sync.ts";
import { lineAdminRoutes } from "./routes.ts";
import { loadSecretKey, secretBox } from "./secrets.ts";
import { webhookRoutes } from "./webhook.ts";
import { LINE_STICKER_BASE_URL } from "../rooms/sticker-images.ts";

/**
 * LINE's hosts: explicit LINE_*_BASE_URL first; otherwise the emulator's origin in emulator
 * mode (it serves every LINE path at its root) or LINE's real hosts in live mode.
 */
export function resolveEndpoints(config: Config, emulatorUrl: string | undefined): LineEndpoints {
  const fallback: LineEndpoints =
    config.lineMode === "emulator" && emulatorUrl
      ? { apiBaseUrl: emulatorUrl, dataApiBaseUrl: emulatorUrl, loginBaseUrl: emulatorUrl, authorizeBaseUrl: emulatorUrl }
      : LIVE_ENDPOINTS;
  return {
    apiBaseUrl: config.line.apiBaseUrl ?? fallback.apiBaseUrl,
    dataApiBaseUrl: config.line.dataApiBaseUrl ?? fallback.dataApiBaseUrl,
    loginBaseUrl: config.line.loginBaseUrl ?? fallback.loginBaseUrl,
    authorizeBaseUrl: config.line.authorizeBaseUrl ?? fallback.authorizeBaseUrl,
  };
}

export interface LineConnectorDeps {
  db: Database;
  config: Config;
  log: Logger;
  clock: () => Date;
  files: FileStore;
  /** PUBLIC_BASE_URL, or the server's own URL once it listens. */
  publicBaseUrl: () => string;
  emulatorUrl?: string;
  retry?: RetryPolicy;
}

/** Everything the LINE connector is, assembled once per server. */
export function createLineConnector(deps: LineConnectorDeps) {
  const { db, config, log, clock, files } = deps;
  const endpoints = resolveEndpoints(config, deps.emulatorUrl);
  const box = secretBox(loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir }));
  const channels = createChannelService({ db, box, endpoints, clock, log, retry: deps.retry });
  const handlers = createHandlerRegistry();
  const profiles = createProfileSync({
    channels,
    handlers,
    files,
    log,
    clock,
    maxAgeMs: config.line.profileMaxAgeMs,
    refreshMs: config.line.profileRefreshMs,
    pictureHosts: () => [...config.line.pictureHosts, ...(config.lineMode === "emulator" && deps.emulatorUrl ? [new URL(deps.emulatorUrl).origin] : [])],
  });
  const inbox = createInbox({
    db,
    handlers,
    profiles,
    log,
    clock,
    maxAttempts: config.line.eventMaxAttempts,
    holdMs: config.line.eventHoldMs,
  });
  const login = createLineLogin({
    db,
    channels,
    endpoints,
    clock,
    log,
    redirectUri: () => `${deps.publicBaseUrl()}/line/login/callback`,
  });
  const webhookUrl = (channelId: string) => `${deps.publicBaseUrl()}/line/webhook/${channelId}`;

  return {
    endpoints,
    /** Sticker pictures come from the same LINE the connector talks to (see rooms/sticker-images.ts). */
    stickerBaseUrl: config.line.stickerBaseUrl ?? (config.lineMode === "emulator" && deps.emulatorUrl ? deps.emulatorUrl : LINE_STICKER_BASE_URL),
    channels,
    /** Register domain handlers here (invitations, rooms, contacts). */
    handlers,
    profiles,
    inbox,
    login,
    webhookUrl,
    jobs: [...inbox.jobs, ...profiles.jobs],
    /** The webhook intake, for the job worker to feed from. */
    feeders: inbox.feeders,
    /** Admin API, mounted under /api/v1 behind the session middleware. */
    adminRoutes: () =>
      lineAdminRoutes({
        db,
        channels,
        inbox,
        webhookUrl,
        publicUrl: () => {
          const publicBaseUrl = deps.publicBaseUrl();
          const https = publicBaseUrl.startsWith("https://");
          return { lineMode: config.lineMode, publicBaseUrl, https, insecureAllowed: config.lineMode === "live" && !https && config.allowInsecurePublicUrl };
        },
      }),
    /** /line/webhook/:channelId and /line/login/callback: no session, no CSRF. */
    publicRoutes() {
      const app = new Hono<AppEnv>();
      app.route("/", webhookRoutes({ db, channels, inbox }));
      app.route("/", login.routes());
      return app;
    },
  };
}

export type LineConnector = ReturnType<typeof createLineConnector>;
