import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openPglite } from "./database.ts";
import { lockPgliteDir } from "./pglite-lock.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-lock-"));
  dirs.push(dir);
  return path.join(dir, "pglite");
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("the embedded database lock", () => {
  it("refuses a second opener while held and allows it after release", () => {
    const dir = tempDir();
    const release = lockPgliteDir(dir);
    expect(fs.readFileSync(`${dir}.lock`, "utf8")).toBe(String(process.pid));
    expect(() => lockPgliteDir(dir)).toThrow(`in use by process ${process.pid} (this one)`);
    release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
    lockPgliteDir(dir)();
  });

  it("refuses while another live process holds it, naming that process", async () => {
    const dir = tempDir();
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      fs.writeFileSync(`${dir}.lock`, String(other.pid));
      expect(() => lockPgliteDir(dir)).toThrow(`in use by process ${other.pid}`);
      expect(fs.readFileSync(`${dir}.lock`, "utf8")).toBe(String(other.pid));
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("takes over a lock left by a process that died, or by an earlier life of our own pid", () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    fs.writeFileSync(`${dir}.lock`, dead.stdout);
    const release = lockPgliteDir(dir);
    expect(fs.readFileSync(`${dir}.lock`, "utf8")).toBe(String(process.pid));
    release();

    fs.writeFileSync(`${dir}.lock`, String(process.pid));
    lockPgliteDir(dir)();
  });

  it("keeps a second PGlite off an open database directory", async () => {
    const dir = tempDir();
    const db = await openPglite(dir);
    await expect(openPglite(dir)).rejects.toThrow("PGlite allows one process at a time");
    expect((await db.query<{ n: number }>("SELECT 1 AS n"))[0]!.n).toBe(1);
    await db.close();
    const again = await openPglite(dir);
    await again.close();
  });
});
