import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import pino, { type Logger } from "pino";
import type { Config } from "./config.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { directoryRepository } from "./directory/repository.ts";
import { seedDemo } from "./directory/seed.ts";
import { createDirectoryService } from "./directory/service.ts";
import { localFileStore } from "./files/store.ts";
import { createHttpApp } from "./http/app.ts";
import { startWorker, type Worker } from "./jobs/queue.ts";

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
  directory: ReturnType<typeof createDirectoryService>;
  demo?: { password: string; generated: boolean };
  close(): Promise<void>;
}

function listen(app: { fetch: (req: Request) => Response | Promise<Response> }, host: string, port: number) {
  return new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => resolve({ server, port: info.port }));
    server.once("error", reject);
  });
}

/** config → database → migrations → seed → jobs → http → listen (CONVENTIONS: main.ts). */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? pino({ level: config.logLevel });
  const clock = opts.clock ?? (() => new Date());
  fs.mkdirSync(config.dataDir, { recursive: true });
  const embedded = !config.databaseUrl;
  const db = await openDatabase(config);
  let ready = false;
  try {
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, "migrations applied");

    const files = localFileStore(path.join(config.dataDir, "files"));
    const directory = createDirectoryService({ db, files, clock, sessionTtlMs: config.sessionTtlMs });

    let demo: RunningServer["demo"];
    // The demo company is made on a new embedded database unless DEMO_SEED=0, and on an empty
    // PostgreSQL only when asked for with DEMO_SEED=1.
    const wantSeed = config.demoSeed ?? embedded;
    if (wantSeed && (await directoryRepository.tenantCount(db)) === 0) {
      const seeded = await seedDemo(directory, config.demoPassword);
      demo = { password: seeded.password, generated: seeded.generated };
    }

    const worker = await startWorker({ db, log, handlers: {} });

    const app = createHttpApp({
      log,
      directory,
      webRoot: opts.webRoot ?? path.join(ROOT, "dist/web"),
      secureCookies: (config.publicBaseUrl ?? "").startsWith("https://"),
      sessionTtlMs: config.sessionTtlMs,
      isReady: () => ready,
    });
    const { server, port } = await listen(app, config.host, config.port);
    const url = `http://${config.host === "0.0.0.0" || config.host === "127.0.0.1" ? "localhost" : config.host}:${port}`;
    ready = true;
    return {
      url,
      port,
      db,
      log,
      worker,
      directory,
      demo,
      async close() {
        ready = false;
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await worker.stop();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
