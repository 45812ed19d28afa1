import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import { controlRoutes } from "./api/control.ts";
import { messagingRoutes } from "./api/messaging.ts";
import { specGuard } from "./api/spec-guard.ts";
import { tokenRoutes } from "./api/tokens.ts";
import { newRequestId } from "./ids.ts";
import { loginRoutes } from "./login/routes.ts";
import { LinePlatform } from "./platform.ts";
import { EmulatorState, type EmulatorChannel } from "./state.ts";
import { stickerRoutes } from "./stickers.ts";
import { uiRoutes } from "./ui/routes.ts";
import { PAGE_POLICY } from "./ui/html.ts";

export type { EmulatorChannel } from "./state.ts";

export interface LineEmulator {
  url: string;
  port: number;
  registerChannel(ch: EmulatorChannel): void;
  close(): Promise<void>;
}

export interface LineEmulatorOptions {
  host?: string;
  port: number;
  stateFile?: string;
  log?: Logger;
  /** LINE counts a webhook answered later than this as failed (2 s). */
  webhookTimeoutMs?: number;
  /** Backoff before each redelivery attempt; LINE's real schedule is longer and undisclosed. */
  redeliveryDelaysMs?: number[];
  /** How long a delivery is held, when a channel reorders, for the next one to overtake it (300 ms). */
  reorderHoldMs?: number;
  /** Clock for token expiry (tests move it); webhook timestamps use it too. */
  now?: () => number;
}

/** LINE's documented request-size cap for the Messaging API. */
const LINE_BODY_LIMIT = 2 * 1024 * 1024;
/** Emulator-only routes carry uploaded media as base64, so they get more room. */
const CONTROL_BODY_LIMIT = 30 * 1024 * 1024;

export function createEmulatorApp(platform: LinePlatform, registerChannel: (ch: EmulatorChannel) => void) {
  const app = new Hono<{ Variables: { requestId: string } }>();
  const isEmulatorPath = (p: string) => p === "/" || p.startsWith("/__emulator") || p.startsWith("/ui/");

  app.use("*", async (c, next) => {
    const requestId = newRequestId();
    c.set("requestId", requestId);
    c.header("x-line-request-id", requestId);
    await next();
  });
  app.use("*", async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    if (/^text\/html/i.test(c.res.headers.get("content-type") ?? "")) {
      c.res.headers.set("content-security-policy", PAGE_POLICY);
      c.res.headers.set("referrer-policy", "same-origin");
    }
  });
  app.use("*", async (c, next) => {
    const limit = isEmulatorPath(c.req.path) ? CONTROL_BODY_LIMIT : LINE_BODY_LIMIT;
    // The unread rest of an oversized body makes the connection unusable, hence `connection: close`.
    return bodyLimit({ maxSize: limit, onError: (cc) => cc.json({ message: "Request Entity Too Large" }, 413, { connection: "close" }) })(c, next);
  });
  app.use("*", async (c, next) => {
    if (isEmulatorPath(c.req.path)) return next();
    const forced = platform.takeFault(c.req.path);
    if (forced !== undefined) return c.json({ message: `Fault injected by the emulator (${forced})` }, forced as 500);
    await platform.waitIfHeld(c.req.path);
    await next();
  });
  app.use("*", async (c, next) => {
    if (!isEmulatorPath(c.req.path)) platform.recordRequest({ at: platform.now(), method: c.req.method, path: c.req.path });
    await next();
  });
  const guard = specGuard((v) => {
    platform.violations.push(v);
    platform.log?.error({ violation: v }, "request refused by LINE's OpenAPI documents");
  }, platform.now);
  app.use("*", async (c, next) => (isEmulatorPath(c.req.path) ? next() : guard(c, next)));

  app.route("/", messagingRoutes(platform));
  app.route("/", tokenRoutes(platform));
  app.route("/", loginRoutes(platform));
  app.route("/__emulator/api", controlRoutes(platform, registerChannel));
  app.route("/", uiRoutes(platform));
  app.route("/", stickerRoutes());

  app.notFound((c) => c.json({ message: "Not found" }, 404));
  app.onError((err, c) => {
    platform.log?.error({ err }, "line emulator error");
    return c.json({ message: "Internal server error" }, 500);
  });
  return app;
}

export async function startLineEmulator(opts: LineEmulatorOptions): Promise<LineEmulator> {
  const host = opts.host ?? "127.0.0.1";
  const state = new EmulatorState(opts.stateFile);
  const platform = new LinePlatform(
    state,
    {
      timeoutMs: opts.webhookTimeoutMs ?? 2000,
      redeliveryDelaysMs: opts.redeliveryDelaysMs ?? [500, 1000, 2000, 4000],
      batchWindowMs: 150,
      reorderHoldMs: opts.reorderHoldMs ?? 300,
    },
    opts.log,
    opts.now,
  );
  const registerChannel = (ch: EmulatorChannel) => void state.registerChannel(ch);
  const app = createEmulatorApp(platform, registerChannel);
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port }, (info) => resolve({ server: s, port: info.port }));
    s.once("error", reject);
  });
  // Outlive clients' keep-alive pools (undici reuses idle sockets for ~4 s) so a request never
  // races the server closing its socket.
  (server as { keepAliveTimeout?: number }).keepAliveTimeout = 65_000;
  const url = `http://${host === "0.0.0.0" || host === "127.0.0.1" ? "localhost" : host}:${port}`;
  platform.baseUrl = url;
  opts.log?.info({ url }, "LINE emulator listening");
  return {
    url,
    port,
    registerChannel,
    async close() {
      // A held request would keep the server from closing.
      platform.releaseHolds();
      platform.webhooks.close();
      state.flush();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
