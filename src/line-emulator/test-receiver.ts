import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { EmulatorChannel } from "./state.ts";

export interface ReceivedWebhook {
  rawBody: string;
  headers: http.IncomingHttpHeaders;
  json: { destination: string; events: Array<Record<string, unknown> & { webhookEventId: string; type: string }> };
}

/**
 * A real HTTP webhook endpoint for emulator tests: records every request and answers with
 * whatever `respond` says (status, optional delay), so failure modes can be provoked.
 */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  const waiters: Array<() => void> = [];
  let respond: (n: number) => { status: number; delayMs?: number } = () => ({ status: 200 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      // Browser redirects (LINE Login callbacks in tests) land here too; only POSTs are webhooks.
      if (req.method !== "POST") return void res.writeHead(200, { "content-type": "text/plain" }).end(`callback ${req.url}`);
      const rawBody = Buffer.concat(chunks).toString("utf8");
      received.push({ rawBody, headers: req.headers, json: JSON.parse(rawBody) as ReceivedWebhook["json"] });
      waiters.splice(0).forEach((w) => w());
      const { status, delayMs } = respond(received.length);
      setTimeout(() => res.writeHead(status, { "content-type": "text/plain" }).end("ok"), delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    setResponder(fn: typeof respond) {
      respond = fn;
    },
    /** Resolves once at least `count` requests have arrived. */
    async waitFor(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhooks, got ${received.length}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let seq = 0;
/** A channel with random credentials and numeric ids, like the LINE Developers console makes. */
export function testChannel(overrides: Partial<EmulatorChannel> = {}): EmulatorChannel {
  const n = String(1_650_000_000 + process.pid * 100 + seq++);
  return {
    channelId: n,
    channelSecret: crypto.randomBytes(16).toString("hex"),
    accessToken: crypto.randomBytes(32).toString("base64url"),
    basicId: "@123abcde",
    botName: "Demo Company",
    loginChannelId: String(Number(n) + 5_000_000),
    loginChannelSecret: crypto.randomBytes(16).toString("hex"),
    ...overrides,
  };
}
