/**
 * `npm run bench -- --heavy`: does CPU work keep the server answering? Two scenarios, each
 * sampling `GET /healthz` every 50 ms meanwhile and reporting its max and p99:
 * - a 10,000-card vCard import (≈ 0.7 MB) as sato, until every card is reported;
 * - 10 parallel business-card renders (`GET /api/v1/invitations/me/card.png`), three rounds.
 *
 * The server runs in a child process (`node --import tsx src/server/main.ts`, as `npm start`
 * does): in the bench's own process a blocked event loop would also delay the sampler's timer
 * and hide the very latency it measures.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PASSWORD = "bench-password";
const SAMPLE_EVERY_MS = 50;

export interface HealthSamples {
  count: number;
  maxMs: number;
  p99Ms: number;
}

export interface HeavyResult {
  import: { cards: number; bytes: number; seconds: number; imported: number; failed: number; health: HealthSamples };
  cards: { renders: number; seconds: number; health: HealthSamples };
}

/**
 * node:http rather than fetch: undici gives up connecting after 10 s and answering after 300 s,
 * and a server blocked for minutes must show as minutes of latency, not as an error.
 */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/**
 * A /healthz sample every 50 ms, one request at a time: while one is unanswered, the ticks that
 * pass are answered with it, each with the latency a request sent at that tick would have had at
 * least (coordinated-omission correction). Sending them all would pile thousands of connections
 * onto a blocked server's listen backlog and measure the kernel's SYN retries instead.
 */
function sampleHealth(url: string) {
  const latencies: number[] = [];
  let ticks: number[] = [];
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    ticks.push(performance.now());
    if (inFlight) return;
    inFlight = request(`${url}/healthz`).then(() => {
      const now = performance.now();
      for (const t of ticks) latencies.push(now - t);
      ticks = [];
      inFlight = undefined;
    });
  }, SAMPLE_EVERY_MS);
  return async (): Promise<HealthSamples> => {
    clearInterval(timer);
    await inFlight;
    const sorted = latencies.sort((a, b) => a - b);
    return {
      count: sorted.length,
      maxMs: Math.round(sorted.at(-1) ?? 0),
      p99Ms: Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0),
    };
  };
}

/** Mixed Japanese, Korean and Latin cards; every 50th has no e-mail or phone, so the report has entries. */
export function benchVcards(count: number): string {
  const family = ["佐々木", "김", "Smith", "高橋", "이", "Garcia", "田中", "박"];
  const given = ["美咲", "민수", "Alex", "翔太", "지은", "Maria", "陽菜", "서준"];
  const cards: string[] = [];
  for (let i = 0; i < count; i++) {
    const last = family[i % family.length]!;
    const first = `${given[(i * 7) % given.length]!}${i}`;
    const reach = i % 50 === 49 ? "" : i % 2 ? `EMAIL;TYPE=work:p${i}@bench.example\r\n` : `TEL;TYPE=cell:+81 90-${String(i).padStart(8, "0")}\r\n`;
    cards.push(`BEGIN:VCARD\r\nVERSION:4.0\r\nFN:${last} ${first}\r\nN:${last};${first};;;\r\n${reach}END:VCARD\r\n`);
  }
  return cards.join("");
}

async function startChild(dataDir: string, databaseUrl: string | undefined): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      DEMO_SEED: "1",
      DEMO_PASSWORD: PASSWORD,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // A bench that fails half-way must not leave a server behind, busy with 10,000 cards.
  process.once("exit", () => child.kill("SIGKILL"));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /running at (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
  return { child, url };
}

async function signIn(url: string) {
  const res = await request(`${url}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: "sato@demo.example", password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
  const { csrfToken } = JSON.parse(res.text) as { csrfToken: string };
  return { cookie: res.headers["set-cookie"]![0]!.split(";")[0]!, "x-csrf-token": csrfToken };
}

interface ImportProgress {
  state: string;
  done: number;
  failed: number;
  total: number;
}

/**
 * Works with both shapes of the import API: the synchronous one (200 with every result) and
 * the background one (202 with an import id, then GET …/imports/{id} until it has finished).
 */
async function importAll(url: string, headers: Record<string, string>, vcf: string) {
  const res = await request(`${url}/api/v1/contacts/import`, { method: "POST", headers: { ...headers, "content-type": "text/vcard" }, body: vcf });
  const body = JSON.parse(res.text) as { results?: { ok: boolean }[]; importId?: string };
  if (res.status === 200 && body.results) {
    const imported = body.results.filter((r) => r.ok).length;
    return { imported, failed: body.results.length - imported };
  }
  if (res.status !== 202 || !body.importId) throw new Error(`import refused: ${res.status} ${JSON.stringify(body)}`);
  for (;;) {
    const progress = JSON.parse((await request(`${url}/api/v1/contacts/imports/${body.importId}`, { headers })).text) as ImportProgress;
    if (progress.state === "finished") return { imported: progress.done - progress.failed, failed: progress.failed };
    if (progress.state !== "running") throw new Error(`import ${progress.state}`);
    // A progress poll, not a wait for time to pass: the healthz sampler is the measurement.
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function benchHeavy(opts: { databaseUrl?: string; cards?: number }): Promise<HeavyResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-bench-heavy-"));
  const { child, url } = await startChild(dataDir, opts.databaseUrl);
  const exited = new Promise((r) => child.once("exit", r));
  try {
    const headers = await signIn(url);
    const vcf = benchVcards(opts.cards ?? 10_000);

    let stop = sampleHealth(url);
    let start = performance.now();
    const imported = await importAll(url, headers, vcf);
    const importSeconds = (performance.now() - start) / 1000;
    const importHealth = await stop();

    const rounds = 3;
    stop = sampleHealth(url);
    start = performance.now();
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const res = await request(`${url}/api/v1/invitations/me/card.png?locale=${["en", "ja", "ko"][i % 3]}`, { headers });
          if (res.status !== 200) throw new Error(`card render failed: ${res.status}`);
        }),
      );
    }
    const cardSeconds = (performance.now() - start) / 1000;
    const cardHealth = await stop();
    return {
      import: { cards: opts.cards ?? 10_000, bytes: Buffer.byteLength(vcf), seconds: importSeconds, ...imported, health: importHealth },
      cards: { renders: rounds * 10, seconds: cardSeconds, health: cardHealth },
    };
  } finally {
    child.kill("SIGTERM");
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
