import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshPostgres, waitFor } from "../../../test/support/line-webhooks.ts";
import { ApiClient, DEMO_PASSWORD } from "../../../test/support/server.ts";

/**
 * A vCard import survives a SIGKILL: the real server runs as a child process from the bundle
 * `npm start` runs (`npm test` builds it; CPU-pool threads included, which find their task
 * modules through the bundle's rewritten import.meta.url), is killed while an import is
 * half-way, and a restart on the same data finishes it with every card imported exactly once.
 */
const ROOT = path.resolve(import.meta.dirname, "../../..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-import-crash-"));
let database: { url: string; drop(): Promise<void> } | undefined;
const children: ChildProcess[] = [];

function startChild(): Promise<{ child: ChildProcess; url: string }> {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--enable-source-maps", "dist/server/main.mjs"], {
    cwd: ROOT,
    env: { ...env, PORT: "0", DATA_DIR: dataDir, DEMO_SEED: "1", DEMO_PASSWORD, LOG_LEVEL: "warn", ...(database && { DATABASE_URL: database.url }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /Tsunagu is running at (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}

const exited = (child: ChildProcess) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", r)));

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(children.map(exited));
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function cards(count: number) {
  let text = "";
  for (let i = 0; i < count; i++) text += `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Crash ${i}\r\nN:Crash;${i};;;\r\nEMAIL:crash-${i}@example.com\r\nEND:VCARD\r\n`;
  return text;
}

describe("vCard import across a crash", () => {
  it("continues after a SIGKILL from the last committed card, importing none twice", { timeout: 300_000 }, async () => {
    database = await freshPostgres("tsunagu_import_crash");
    const total = 1500;
    const first = await startChild();
    const sato = new ApiClient(first.url);
    await sato.signIn("sato@demo.example");
    const started = await sato.request("POST", "/api/v1/contacts/import", new TextEncoder().encode(cards(total)), { "content-type": "text/vcard" });
    expect(started.status).toBe(202);
    const importPath = `/api/v1/contacts/imports/${started.json.importId}`;
    const before = await waitFor(
      async () => {
        const p = (await sato.get(importPath)).json;
        return p.done > 0 && p;
      },
      120_000,
      "the first chunk to commit",
    );
    first.child.kill("SIGKILL");
    await exited(first.child);
    expect(before.state).toBe("running");

    const second = await startChild();
    const again = new ApiClient(second.url);
    await again.signIn("sato@demo.example");
    const stopped = (await again.get(importPath)).json;
    expect(stopped.done).toBeGreaterThanOrEqual(before.done);
    expect(stopped.done).toBeLessThan(total);
    const finished = await waitFor(
      async () => {
        const p = (await again.get(importPath)).json;
        return p.state === "finished" && p;
      },
      240_000,
      "the import to finish after the restart",
    );
    expect(finished).toMatchObject({ total, done: total, imported: total, failed: 0 });
    const listed = await again.get(`/api/v1/contacts/export`);
    const names = [...listed.text.matchAll(/^FN:Crash (\d+)\r?$/gm)].map((m) => Number(m[1]));
    expect(names).toHaveLength(total);
    expect(new Set(names).size).toBe(total);
    second.child.kill("SIGTERM");
    await exited(second.child);
  });
});
