import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import pino, { type DestinationStream, type Logger } from "pino";
import type { Config } from "./config.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { startPgliteVacuum } from "./db/pglite-vacuum.ts";
import { directoryRepository } from "./directory/repository.ts";
import { seedDemo } from "./directory/seed.ts";
import { createAuthCache } from "./directory/auth-cache.ts";
import { createDirectoryService, type CachedAuth } from "./directory/service.ts";
import { openFileStore } from "./files/open-store.ts";
import { createHttpApp } from "./http/app.ts";
import { closeGracefully } from "./http/graceful-close.ts";
import { createJobRegistry, startWorker, type JobRegistry, type Worker } from "./jobs/queue.ts";
import { createLifecycle } from "./lifecycle.ts";
import { createLineConnector, type LineConnector } from "./line/connector.ts";
import { demoChannelCredentials } from "./line/demo-channel.ts";
import type { ChannelRow } from "./line/repository.ts";
import type { LineEmulator } from "../line-emulator/emulator.ts";
import { landingRoutes } from "./invitations/landing.ts";
import { invitationRoutes } from "./invitations/routes.ts";
import { createInvitationService } from "./invitations/service.ts";
import { createCarddav } from "./carddav/carddav.ts";
import { createContacts } from "./contacts/contacts.ts";
import { createCpuPool } from "./cpu/pool.ts";
import { loadSecretKey, secretBox } from "./line/secrets.ts";
import { startOutgoingMail } from "./mail/outgoing.ts";
import { createNotifications } from "./notifications/notifications.ts";
import { notificationRoutes } from "./notifications/routes.ts";
import { createRealtimeHub } from "./realtime/hub.ts";
import { livePresence } from "./realtime/presence.ts";
import { pruneRealtimeEvents } from "./realtime/retention.ts";
import { realtimeRoutes } from "./realtime/routes.ts";
import { createMessaging } from "./rooms/messages.ts";
import { lineMediaRoutes } from "./rooms/public-routes.ts";
import { roomRoutes } from "./rooms/routes.ts";
import { createStickerImages } from "./rooms/sticker-images.ts";
import { safeErrorSerializer } from "./logging.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface StartOptions {
  clock?: () => Date;
  log?: Logger;
  webRoot?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  log: Logger;
  worker: Worker;
  /** Every job kind this server runs (tests enqueue housekeeping jobs through it). */
  jobs: JobRegistry;
  directory: ReturnType<typeof createDirectoryService>;
  line: LineConnector;
  /** The built-in LINE emulator (LINE_MODE=emulator). */
  lineEmulator?: { url: string };
  /** The demo company's LINE channel (LINE channel id), when there is one. */
  demoLineChannelId?: string;
  demo?: { password: string; generated: boolean };
  close(): Promise<void>;
}

function listen(app: { fetch: (req: Request) => Response | Promise<Response> }, host: string, port: number) {
  return new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => resolve({ server, port: info.port }));
    server.once("error", reject);
  });
}

/**
 * Secrets must never reach the logs, even if someone logs a whole row or request by mistake;
 * these paths are censored by pino before writing.
 */
export const LOG_REDACT_PATHS = [
  "channelSecret",
  "*.channelSecret",
  "channelAccessToken",
  "*.channelAccessToken",
  "accessToken",
  "*.accessToken",
  "loginChannelSecret",
  "*.loginChannelSecret",
  "channel_secret_enc",
  "*.channel_secret_enc",
  "access_token_enc",
  "*.access_token_enc",
  "login_channel_secret_enc",
  "*.login_channel_secret_enc",
  "client_secret",
  "*.client_secret",
  "code_verifier",
  "*.code_verifier",
  "password",
  "*.password",
  "req.headers.authorization",
  "req.headers.cookie",
];

/**
 * Standard output, buffered: a write(2) per access-log line was ~5 % of a simple request's CPU.
 * Lines go out once 4 KB gather or every 250 ms, and pino writes what is left synchronously when
 * the process exits; a kill -9 can lose the last quarter second of log lines. One per process.
 */
let stdoutLog: DestinationStream | undefined;
function bufferedStdout(): DestinationStream {
  if (!stdoutLog) {
    const dest = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    // With a callback a failed or closed stdout is reported to it, never thrown from the timer.
    setInterval(() => dest.flush(() => undefined), 250).unref();
    stdoutLog = dest;
  }
  return stdoutLog;
}

export function createLogger(level: Config["logLevel"], destination?: DestinationStream): Logger {
  return pino(
    { level, redact: { paths: LOG_REDACT_PATHS, censor: "[redacted]" }, serializers: { err: safeErrorSerializer } },
    destination ?? bufferedStdout(),
  );
}

/** config → database → migrations → seed → LINE → domains → jobs → http → listen (CONVENTIONS: main.ts). */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? (() => new Date());
  fs.mkdirSync(config.dataDir, { recursive: true });
  const lifecycle = createLifecycle(log, config.shutdown.timeoutMs);
  let phase: "starting" | "serving" | "draining" = "starting";
  let closing: Promise<void> | undefined;
  try {
    const db = lifecycle.own("database", await openDatabase({ ...config, log: log.child({ component: "database" }) }), (d) => d.close());
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, "migrations applied");

    const { store: files } = lifecycle.own("file store", await openFileStore(config.fileStore), async (f) => f.close());
    const secretKey = loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
    const authCache = lifecycle.own("sign-in cache", createAuthCache<CachedAuth>({ db, clock, expiresAt: (c) => c.expiresAt }), (c) => c.stop());
    await authCache.start();
    const directory = createDirectoryService({ db, files, clock, sessionTtlMs: config.sessionTtlMs, authCache });
    const demo = await seedIfWanted(config, db, directory);

    // LINE (DESIGN §3): the emulator plays LINE on its own origin unless LINE_MODE=live; it is
    // loaded only then, so a production process never carries it.
    const emulator = config.lineMode === "emulator" ? lifecycle.own("LINE emulator", await startEmulator(config, log), (e) => e.close()) : undefined;
    let serverUrl = "";
    const publicBaseUrl = () => config.publicBaseUrl ?? serverUrl;
    const line = createLineConnector({ db, config, log, clock, files, publicBaseUrl, emulatorUrl: emulator?.url });
    const demoChannel = await ensureDemoChannel(config, db, line, emulator);

    const realtime = lifecycle.own("real-time hub", await createRealtimeHub(db, log), (h) => h.close());
    const pruning = lifecycle.own(
      "real-time pruning",
      setInterval(() => {
        pruneRealtimeEvents(db, { now: clock() }).catch((err: unknown) => log.warn({ err }, "pruning real-time events failed"));
        livePresence.prune(db, clock()).catch((err: unknown) => log.warn({ err }, "pruning stale stream presence failed"));
      }, 3600_000).unref(),
      async (t) => clearInterval(t),
    );
    void pruning;
    if (db.kind === "pglite") lifecycle.own("PGlite vacuum", startPgliteVacuum(db.background(), log), (v) => v.stop());
    const mail = lifecycle.own("mail", await startOutgoingMail({ smtpUrl: config.smtpUrl, db, devTools: config.devTools }), (m) => m.close());
    const cpu = lifecycle.own("CPU pool", createCpuPool(), (p) => p.close());

    const mailFrom = config.mailFrom ?? `Tsunagu <no-reply@${new URL(publicBaseUrl() || "http://localhost").hostname}>`;
    const notifications = createNotifications({
      db,
      mailer: () => mail.mailer,
      mailFrom,
      publicBaseUrl,
      box: secretBox(secretKey),
      clock,
      log,
      subject: config.publicBaseUrl?.startsWith("https://") ? config.publicBaseUrl : `mailto:no-reply@${new URL(config.publicBaseUrl ?? "http://localhost").hostname}`,
      // The local push endpoint of a one-machine set-up and of the tests is plain HTTP on loopback.
      allowLoopbackHttp: config.devTools,
    });
    const messaging = createMessaging({
      db,
      files,
      channels: line.channels,
      publicBaseUrl,
      urlSecret: secretKey.toString("hex"),
      clock,
      log,
      onInboundMessages: notifications.onInboundMessages,
    });
    const invitations = createInvitationService({
      db,
      files,
      channels: line.channels,
      login: line.login,
      profiles: line.profiles,
      mailer: () => mail.mailer,
      mailFrom,
      publicBaseUrl,
      // Real LINE opens the chat with the account; the emulator has its own chat page.
      chatUrl: (channel) =>
        emulator
          ? `${emulator.url}/ui/chat/${channel.channel_id}`
          : channel.basic_id
            ? `https://line.me/R/oaMessage/${encodeURIComponent(channel.basic_id)}/`
            : // Without a basic ID (LINE did not answer GET /v2/bot/info) the LINE app itself, not a broken chat link.
              "https://line.me/R/",
      notify: messaging.roomNotifier,
      cpu,
      clock,
      log,
    });
    const refreshLineProfile = (lineUserId: string) => line.profiles.refreshOnView(db, lineUserId);
    const contacts = createContacts({ db, files, clock, log, cpu, refreshLineProfile, authChanged: authCache.invalidate });
    const carddav = createCarddav({ db, clock, serverKey: secretKey, publicBaseUrl });
    // Invitations first: a Message ID befriends before the rooms feature stores the text in the new room.
    line.handlers.register(invitations.lineHandlers);
    line.handlers.register(messaging.lineHandlers);
    line.handlers.register(contacts.lineHandlers);

    const jobs = createJobRegistry([...line.jobs, ...invitations.jobs, ...messaging.jobs, ...contacts.jobs, ...notifications.jobs]);
    const worker = lifecycle.own("job worker", await startWorker({ db: db.background(), log, registry: jobs, feeders: line.feeders, concurrency: config.workerConcurrency }), (w) => w.stop());

    const app = createHttpApp({
      log,
      directory,
      webRoot: opts.webRoot ?? path.join(ROOT, "dist/web"),
      secureCookies: (config.publicBaseUrl ?? "").startsWith("https://"),
      sessionTtlMs: config.sessionTtlMs,
      trustProxyHops: config.trustProxyHops,
      phase: () => phase,
      databaseReachable: () => db.ping(2_000),
      apiRoutes: [
        line.adminRoutes(),
        invitationRoutes(invitations),
        roomRoutes({ db, files, messaging, refreshLineProfile, stickers: createStickerImages({ files, baseUrl: line.stickerBaseUrl, log, clock }) }),
        contacts.routes(),
        realtimeRoutes(realtime, { db, clock }),
        notificationRoutes(notifications),
        carddav.apiRoutes(),
      ],
      publicRoutes: [
        { path: "/line", app: line.publicRoutes() },
        { path: "/line", app: lineMediaRoutes(messaging) },
        { path: "/i", app: landingRoutes(invitations) },
        ...(mail.mailbox ? [{ path: "/__mail", app: mail.mailbox }] : []),
        ...carddav.publicRoutes(),
      ],
      lineEmulatorUrl: emulator?.url,
    });
    const { server, port } = await listen(app, config.host, config.port);
    // Closing first (owned last): SSE streams end here with a retry hint instead of holding the
    // close open, then in-flight requests finish while the worker and database are still up.
    // Its own deadline a second inside the shutdown budget, so it cuts its connections itself
    // before the lifecycle would move on without them.
    const httpTimeoutMs = Math.max(500, config.shutdown.timeoutMs - 1_000);
    lifecycle.own("HTTP server", server, (srv) => closeGracefully(srv, { endStreams: () => realtime.close(), timeoutMs: httpTimeoutMs, log }));
    serverUrl = `http://${config.host === "0.0.0.0" || config.host === "127.0.0.1" ? "localhost" : config.host}:${port}`;
    if (config.lineMode === "live" && !publicBaseUrl().startsWith("https://")) {
      // Allowed only by LINE_ALLOW_INSECURE_PUBLIC_URL=1 (config.ts refuses it otherwise); the admin LINE page says so too.
      log.warn({ publicBaseUrl: publicBaseUrl() }, "LINE_MODE=live on a non-https PUBLIC_BASE_URL (LINE_ALLOW_INSECURE_PUBLIC_URL=1): LINE will refuse pushed images and sender icons");
    }
    if (emulator && demoChannel) {
      // Through the real Messaging API call, as an operator would point LINE at Tsunagu.
      const client = await line.channels.clientFor(demoChannel);
      await client.setWebhookEndpoint(`${serverUrl}/line/webhook/${demoChannel.channel_id}`);
    }
    const drainThenClose = async () => {
      // /healthz turns 503 while the instance still serves, so the load balancer stops sending
      // before connections are refused (SHUTDOWN_DRAIN_MS: as long as its health checks take).
      phase = "draining";
      if (config.shutdown.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdown.drainMs));
      // SHUTDOWN_TIMEOUT_MS bounds the requests and the running jobs together; what is closed after
      // them gets a second each (lifecycle.ts), so the process is gone in bounded time.
      await lifecycle.closeAll(config.shutdown.timeoutMs);
    };
    // Every channel's basic ID and name from LINE (GET /v2/bot/info), without holding up the start.
    line.channels.refreshAllBotInfo().catch((err: unknown) => log.warn({ err }, "LINE bot info not refreshed at start"));
    phase = "serving";
    return {
      url: serverUrl,
      port,
      db,
      log,
      worker,
      jobs,
      directory,
      line,
      ...(emulator && { lineEmulator: { url: emulator.url } }),
      ...(demoChannel && { demoLineChannelId: demoChannel.channel_id }),
      demo,
      close() {
        closing ??= drainThenClose();
        return closing;
      },
    };
  } catch (err) {
    await lifecycle.closeAll();
    throw err;
  }
}

/**
 * The demo company is made on a new embedded database unless DEMO_SEED=0, and on an empty
 * PostgreSQL only when asked for with DEMO_SEED=1.
 */
async function seedIfWanted(config: Config, db: Database, directory: ReturnType<typeof createDirectoryService>) {
  const wantSeed = config.demoSeed ?? !config.databaseUrl;
  if (!wantSeed || (await directoryRepository.tenantCount(db)) > 0) return undefined;
  const seeded = await seedDemo(directory, config.demoPassword);
  return { password: seeded.password, generated: seeded.generated };
}

async function startEmulator(config: Config, log: Logger): Promise<LineEmulator> {
  const { startLineEmulator } = await import("../line-emulator/emulator.ts");
  return startLineEmulator({
    host: config.host,
    port: config.line.emulatorPort ?? (config.port === 0 ? 0 : config.port + 1),
    stateFile: path.join(config.dataDir, "line-emulator.json"),
    log: log.child({ component: "line-emulator" }),
  });
}

/**
 * The demo company's channel row (mode shared), made when the demo company exists and kept in
 * step with LINE_CHANNEL_* / the generated credentials. In emulator mode it is registered with
 * the emulator too. In live mode it exists only when all of LINE_CHANNEL_ID/SECRET/ACCESS_TOKEN are set.
 */
async function ensureDemoChannel(config: Config, db: Database, line: LineConnector, emulator: LineEmulator | undefined) {
  const live = config.lineMode === "live";
  if (live && !(config.line.channelId && config.line.channelSecret && config.line.channelAccessToken)) return undefined;
  const admin = await directoryRepository.memberByLogin(db, "admin@demo.example");
  if (!admin) return undefined;
  const creds = demoChannelCredentials(config);
  const tenant = await directoryRepository.tenant(db, admin.tenant_id);
  const basicId = `@tsunagu${creds.channelId.slice(-4)}`;
  const botName = tenant?.name ?? "Demo Company";
  const channel: ChannelRow = await line.channels.ensureConfigured(admin.tenant_id, {
    channelId: creds.channelId,
    channelSecret: creds.channelSecret,
    accessToken: creds.accessToken,
    loginChannelId: live && !config.line.loginChannelId ? null : creds.loginChannelId,
    loginChannelSecret: live && !config.line.loginChannelSecret ? null : creds.loginChannelSecret,
    basicId: live ? null : basicId,
    botName: live ? null : botName,
  });
  emulator?.registerChannel({ ...creds, basicId, botName });
  return channel;
}
