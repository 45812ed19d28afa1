/**
 * Start-up and footprint (`npm run bench -- --start`): the production entry (`node
 * --enable-source-maps dist/server/main.mjs`, what `npm start` runs once both builds are current) as separate processes on
 * the embedded defaults: the first start on an empty data folder, restarts on the same folder after
 * a clean stop and after kill -9, and the resident memory of the whole process idle and under load.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { load } from "./limits.ts";

export interface StartRow {
  name: string;
  value: string;
  ratio: string;
}

const ROOT = path.resolve(import.meta.dirname, "..");
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** CPU seconds (user + system, every thread) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(m![1]) / 1024);
}

interface Started {
  child: ChildProcess;
  url: string;
  ms: number;
  cpu: number;
}

/** The entry itself, or `npm start` (which first checks whether the web app needs building). */
type How = "entry" | "npm start";

async function start(dataDir: string, how: How = "entry"): Promise<Started> {
  const port = await freePort();
  const emulatorPort = await freePort();
  const t0 = performance.now();
  const [command, args] = how === "entry" ? [process.execPath, ["--enable-source-maps", "dist/server/main.mjs"]] : ["npm", ["start", "--silent"]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LINE_EMULATOR_PORT: String(emulatorPort), HOST: "127.0.0.1", LOG_LEVEL: "warn", DEMO_PASSWORD: "bench-password" },
    stdio: ["ignore", "ignore", "inherit"],
    // Its own process group, so a stop reaches npm's children too.
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error("the server did not answer /healthz within 120 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - t0;
  const cpu = cpuSeconds(child.pid!);
  return { child, url, ms, cpu };
}

async function stop(s: Started, signal: NodeJS.Signals) {
  const exited = new Promise((resolve) => s.child.once("exit", resolve));
  process.kill(-s.child.pid!, signal);
  await exited;
  // npm may exit before the server it started: wait until no process of the group is left.
  const alive = () => {
    try {
      process.kill(-s.child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive()) await new Promise((r) => setTimeout(r, 20));
}

export async function benchStart(opts: { seconds: number; restarts: number }): Promise<StartRow[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-start-"));
  const rows: StartRow[] = [];
  // The entry is the bundle: build it (and the web app) now if the sources changed, as `npm start` would.
  for (const script of ["scripts/build-web.mjs", "scripts/build-server.mjs"]) {
    const built = spawnSync(process.execPath, [script], { cwd: ROOT, stdio: "inherit" });
    if (built.status !== 0) throw new Error(`${script} failed`);
  }
  const fmt = (s: Started) => `${(s.ms / 1000).toFixed(2)} s to /healthz, ${s.cpu.toFixed(2)} CPU s`;
  try {
    // The limit: a bare `node -e` on this machine, now.
    const bare = performance.now();
    await new Promise((resolve) => spawn(process.execPath, ["-e", ""]).once("exit", resolve));
    const nodeMs = performance.now() - bare;
    rows.push({ name: "limit: an empty Node process", value: `${Math.round(nodeMs)} ms`, ratio: "1.00" });

    const first = await start(dataDir);
    rows.push({ name: "first start (new PGlite, migrations, demo company)", value: fmt(first), ratio: `${(first.ms / nodeMs).toFixed(0)}× an empty Node` });

    await stop(first, "SIGTERM");

    // Idle: a restarted server (the usual case) once start-up work has settled, then under load.
    const second = await start(dataDir);
    // Idle: what the process holds once start-up work (the demo channel, the first sweeps) has settled.
    await new Promise((r) => setTimeout(r, 5_000));
    const idle = rssMb(second.child.pid!);
    const signIn = await fetch(`${second.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "sato@demo.example", password: "bench-password" }),
    });
    const cookie = signIn.headers.getSetCookie()[0]!.split(";")[0]!;
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(second.child.pid!))), 100);
    const list = await load({ url: `${second.url}/api/v1/contacts?limit=50`, headers: { cookie }, duration: opts.seconds });
    clearInterval(sampler);
    rows.push({ name: "resident memory, idle (5 s after a restart)", value: `${idle} MB`, ratio: "goal < 250 MB" });
    rows.push({
      name: `resident memory under load (10 clients listing contacts, ${Math.round(list.requestsPerSec)} req/s)`,
      value: `${peak} MB peak`,
      ratio: "",
    });
    await stop(second, "SIGTERM");

    const clean: number[] = [];
    const killed: number[] = [];
    let cpu = 0;
    for (let i = 0; i < opts.restarts; i++) {
      // Each start follows the stop it is named after: SIGTERM before the first, kill -9 before the second.
      const s = await start(dataDir);
      clean.push(s.ms);
      cpu += s.cpu;
      await stop(s, "SIGKILL");
      const k = await start(dataDir);
      killed.push(k.ms);
      await stop(k, "SIGTERM");
    }
    const viaNpm: number[] = [];
    for (let i = 0; i < opts.restarts; i++) {
      const n = await start(dataDir, "npm start");
      viaNpm.push(n.ms);
      await stop(n, "SIGTERM");
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    rows.push({
      name: `restart with \`npm start\`, web app already built (median of ${viaNpm.length})`,
      value: `${(median(viaNpm) / 1000).toFixed(2)} s to /healthz`,
      ratio: "target < 3 s",
    });
    rows.push({
      name: `restart on the same data (median of ${clean.length})`,
      value: `${(median(clean) / 1000).toFixed(2)} s to /healthz, ${(cpu / clean.length).toFixed(2)} CPU s`,
      ratio: `${(median(clean) / nodeMs).toFixed(0)}× an empty Node; target < 3 s`,
    });
    rows.push({
      name: `restart after kill -9 (median of ${killed.length})`,
      value: `${(median(killed) / 1000).toFixed(2)} s to /healthz`,
      ratio: "target < 5 s",
    });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
