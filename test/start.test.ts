import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** `npm start` is `node scripts/start.mjs`: the build checks and the server bundle in one process. */
describe("npm start (scripts/start.mjs)", () => {
  it("serves on the embedded defaults, and stops cleanly on SIGTERM", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-start-"));
    dirs.push(dataDir);
    // The embedded defaults: no DATABASE_URL, whatever the suite runs against.
    const inherited = { ...process.env };
    delete inherited.DATABASE_URL;
    const child = spawn(process.execPath, ["scripts/start.mjs"], {
      env: { ...inherited, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, DEMO_PASSWORD: "start-test-password", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const look = () => {
          const m = /Tsunagu is running at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        };
        child.stdout.on("data", look);
        void exited.then((code) => reject(new Error(`exited ${code} before serving:\n${out}`)));
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it("exits 2 with the configuration's message, as the bundle does", async () => {
    const env = { ...process.env, LINE_MODE: "live", PUBLIC_BASE_URL: "http://tsunagu.example.com", LINE_ALLOW_INSECURE_PUBLIC_URL: "0" };
    const failed = await run(process.execPath, ["scripts/start.mjs"], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/PUBLIC_BASE_URL: LINE_MODE=live needs an https:\/\/ PUBLIC_BASE_URL/);
  }, 120_000);
});
