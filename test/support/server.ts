import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EmulatorControlClient } from "../../src/line-emulator/control-client.ts";
import { freshTestDatabase } from "./fresh-database.ts";
import { loadConfig } from "../../src/server/config.ts";
import { startServer, type RunningServer, type StartOptions } from "../../src/server/server.ts";

export const DEMO_PASSWORD = "demo-password-1";

/**
 * Which database the suite runs on: PGlite by default; the machine's PostgreSQL when
 * TEST_DATABASE_URL points at a server (each booted server then gets a fresh database there).
 */

export interface TestServer extends RunningServer {
  dataDir: string;
  databaseUrl: string | undefined;
  stop(): Promise<void>;
}

/** `opts` reaches startServer: tests move time with `opts.clock`. */
export async function bootServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestServer> {
  // A second instance of the same deployment passes the first one's DATA_DIR (secret key, LINE credentials).
  const ownDataDir = !env.DATA_DIR;
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-test-"));
  const database = env.DATABASE_URL ? undefined : await freshTestDatabase();
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    DEMO_SEED: "1",
    DEMO_PASSWORD,
    // Tests drain the queue right after posting events; the production hold would make them wait.
    LINE_EVENT_HOLD_MS: "0",
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  const running = await startServer(config, opts);
  return Object.assign(running, {
    dataDir,
    databaseUrl: config.databaseUrl,
    async stop() {
      // Every request the connector sent was checked against LINE's OpenAPI documents by the
      // emulator; one it refused fails the test file here, even if the test never looked.
      const violations = running.lineEmulator ? await new EmulatorControlClient(running.lineEmulator.url).violations() : [];
      await running.close();
      await database?.drop();
      if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      if (violations.length) throw new Error(`the connector sent requests LINE's OpenAPI documents refuse: ${JSON.stringify(violations, null, 2)}`);
    },
  });
}

/** A browser-like API client: keeps the session cookie and sends the CSRF token. */
export class ApiClient {
  cookie = "";
  csrf = "";
  constructor(readonly baseUrl: string) {}

  async request(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
    const isRaw = body instanceof Uint8Array;
    const res = await fetch(new URL(p, this.baseUrl), {
      method,
      headers: {
        ...(body !== undefined && !isRaw ? { "content-type": "application/json" } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf ? { "x-csrf-token": this.csrf } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : isRaw ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("tsunagu_session="));
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    const text = await res.text();
    const type = res.headers.get("content-type") ?? "";
    const json = type.includes("json") && text ? JSON.parse(text) : undefined;
    return { status: res.status, headers: res.headers, json, text };
  }

  async signIn(login: string, password = DEMO_PASSWORD) {
    const res = await this.request("POST", "/api/v1/session", { login, password });
    if (res.status !== 200) throw new Error(`sign-in as ${login} failed: ${res.status} ${res.text}`);
    this.csrf = res.json.csrfToken;
    return res.json;
  }

  get = (p: string) => this.request("GET", p);
  post = (p: string, body?: unknown) => this.request("POST", p, body);
  put = (p: string, body?: unknown) => this.request("PUT", p, body);
  patch = (p: string, body?: unknown) => this.request("PATCH", p, body);
  delete = (p: string) => this.request("DELETE", p);
}

export async function signedIn(server: { url: string }, login: string, password = DEMO_PASSWORD) {
  const client = new ApiClient(server.url);
  await client.signIn(login, password);
  return client;
}
