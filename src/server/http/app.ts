import fs from "node:fs";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import type { DirectoryService } from "../directory/service.ts";
import { directoryRoutes } from "../directory/routes.ts";
import type { Hono } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { requestContext, session } from "./middleware.ts";
import { createRouter } from "./openapi.ts";
import { isConnectionError } from "../db/database.ts";
import { Problem } from "./problem.ts";
import { securityHeaders } from "./security-headers.ts";
import { urlTextGuard } from "./url-text.ts";

/** How long a client (LINE's redelivery, a browser) is told to wait while the database is away. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

export interface HttpDeps {
  log: Logger;
  directory: DirectoryService;
  webRoot: string;
  secureCookies: boolean;
  sessionTtlMs: number;
  /** See Config.trustProxyHops. */
  trustProxyHops: number;
  /** /healthz answers 200 only while serving: not before start-up finished, nor once a shutdown began. */
  phase: () => "starting" | "serving" | "draining";
  /** Whether the database answers now; /healthz reports it so a load balancer can drain. */
  databaseReachable: () => Promise<boolean>;
  /** Each domain's API, mounted under /api/v1 behind the session and CSRF middleware. */
  apiRoutes: OpenAPIHono<AppEnv>[];
  /**
   * Routes outside the API: LINE calls them (webhook), sends browsers there (login callback,
   * invitation pages) or fetches them (sender icons), so they carry no session and no CSRF.
   */
  publicRoutes: { path: string; app: Hono<AppEnv> | Hono }[];
  /** Set when the built-in LINE emulator runs; /__line leads to its UI. */
  lineEmulatorUrl?: string;
}

/** Turns anything thrown into problem+json; unknown errors are logged and never shown. */
function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /json/i.test(err.message))
      return new Problem(400, "malformed_json", "Malformed JSON", "The request body is not valid JSON.");
    if (err.status === 413) return new Problem(413, "payload_too_large", "Request too large", err.message);
    return new Problem(err.status as Problem["status"], "http_error", err.message || "Request failed");
  }
  // Nothing was changed, and the same request will work once the database is back: LINE
  // redelivers a webhook answered 503, browsers retry.
  if (isConnectionError(err))
    return new Problem(503, "database_unavailable", "Temporarily unavailable", "The database cannot be reached; try again shortly.", {
      retryAfter: DATABASE_RETRY_AFTER_SECONDS,
    });
  return new Problem(500, "internal_error", "Something went wrong", "The error was logged; quote the request id when reporting it.");
}

export function createHttpApp(deps: HttpDeps) {
  const app = createRouter();
  app.use("*", requestContext(deps.log, { trustProxyHops: deps.trustProxyHops }));
  app.use("*", securityHeaders());
  app.use("*", urlTextGuard());

  app.onError((err, c) => {
    const problem = toProblem(err);
    if (problem.code === "database_unavailable") c.get("log").warn({ err: { code: (err as { code?: string }).code, message: err.message } }, "database unavailable");
    // A full CPU pool refuses on purpose (server_busy): worth a warning, not an error report.
    else if (problem.status === 503) c.get("log").warn({ code: problem.code }, problem.title);
    else if (problem.status >= 500) c.get("log").error({ err }, "unhandled error");
    const requestId = c.get("requestId");
    c.header("X-Request-Id", requestId);
    if ((problem.status === 429 || problem.status === 503) && typeof problem.extra.retryAfter === "number")
      c.header("Retry-After", String(problem.extra.retryAfter));
    return c.body(JSON.stringify(problem.toBody(requestId, c.req.path)), problem.status, {
      "Content-Type": "application/problem+json",
    });
  });

  app.get("/healthz", async (c) => {
    const phase = deps.phase();
    if (phase !== "serving") return c.json({ status: phase }, 503);
    if (!(await deps.databaseReachable())) return c.json({ status: "database_unavailable" }, 503);
    return c.json({ status: "ok" });
  });

  const api = createRouter();
  api.use("*", session(deps.directory));
  api.route("/", directoryRoutes(deps.directory, deps));
  for (const routes of deps.apiRoutes) api.route("/", routes);
  app.route("/api/v1", api);
  for (const { path: mount, app: routes } of deps.publicRoutes) app.route(mount, routes as Hono<AppEnv>);
  if (deps.lineEmulatorUrl) {
    const emulatorUrl = deps.lineEmulatorUrl;
    app.get("/__line", (c) => c.redirect(`${emulatorUrl}/`, 302));
  }

  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Tsunagu API", version: "1", description: "Reach a company's members from LINE; keep LINE users as contacts." },
  });
  app.notFound((c) => {
    if (c.req.path.startsWith("/api/")) throw new Problem(404, "not_found", "No such endpoint", `${c.req.method} ${c.req.path} does not exist.`);
    return c.text("Not found", 404);
  });

  mountWeb(app, deps.webRoot);
  return app;
}

/** The SPA: built assets, and index.html for every other GET so client-side routes work on reload. */
function mountWeb(app: ReturnType<typeof createRouter>, webRoot: string) {
  const index = path.join(webRoot, "index.html");
  const root = path.relative(process.cwd(), webRoot);
  app.use("/assets/*", serveStatic({ root }));
  // The installable app's files (src/web/public): manifest, icons, service worker, offline page.
  app.use("/icons/*", serveStatic({ root }));
  for (const file of ["/manifest.webmanifest", "/sw.js", "/offline.html", "/offline.css"]) {
    app.get(file, serveStatic({ root, onFound: (_path, c) => c.header("Cache-Control", "no-cache") }));
  }
  app.get("*", async (c, next) => {
    const p = c.req.path;
    if (p.startsWith("/api/") || p.startsWith("/line/") || p.startsWith("/__")) return next();
    if (!fs.existsSync(index)) return c.text("The web app is not built: run `npm run build:web`.", 503);
    return c.html(await fs.promises.readFile(index, "utf8"));
  });
}

export type HttpApp = ReturnType<typeof createHttpApp>;
