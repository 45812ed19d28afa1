import { freshTestDatabase } from "./fresh-database.ts";
import crypto from "node:crypto";
import http from "node:http";

/** Test data for LINE webhooks: events shaped like webhook.yml, signed the way LINE signs them. */
export const TEST_CHANNEL = {
  LINE_CHANNEL_ID: "1650000001",
  LINE_CHANNEL_SECRET: "0123456789abcdef0123456789abcdef",
  LINE_CHANNEL_ACCESS_TOKEN: "test-access-token-0123456789abcdefghijklmnopqrstuvwxyz",
  LINE_LOGIN_CHANNEL_ID: "1650000002",
  LINE_LOGIN_CHANNEL_SECRET: "fedcba9876543210fedcba9876543210",
};

let seq = 0;
export function lineEvent(type: string, userId: string, timestamp: number, extra: Record<string, unknown> = {}) {
  seq += 1;
  return {
    type,
    timestamp,
    webhookEventId: `01TEST${Date.now().toString(36).toUpperCase()}${String(seq).padStart(6, "0")}${crypto.randomBytes(3).toString("hex").toUpperCase()}`,
    mode: "active",
    source: { type: "user", userId },
    deliveryContext: { isRedelivery: false },
    ...(type === "message" && !extra.message
      ? { replyToken: crypto.randomBytes(16).toString("hex"), message: { id: String(100000 + seq), type: "text", text: `hello ${seq}`, quoteToken: "q" } }
      : {}),
    ...extra,
  };
}

export const lineUserId = () => `U${crypto.randomBytes(16).toString("hex")}`;

export const sign = (body: string | Uint8Array, secret: string) => crypto.createHmac("sha256", secret).update(body).digest("base64");

/** Posts over node:http so the header name goes on the wire exactly as written (fetch lower-cases it). */
export function postWebhook(
  baseUrl: string,
  channelId: string,
  body: string | Uint8Array,
  /** chunked: sent with Transfer-Encoding: chunked and no Content-Length, as a streaming client would. */
  opts: { secret?: string; signature?: string; headerName?: string; chunked?: boolean } = {},
): Promise<{ status: number; json: unknown }> {
  const signature = opts.signature ?? sign(body, opts.secret ?? TEST_CHANNEL.LINE_CHANNEL_SECRET);
  const url = new URL(`/line/webhook/${channelId}`, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      // A fresh connection each time: a refused oversize upload leaves its socket unusable.
      { method: "POST", agent: false, headers: { "Content-Type": "application/json", [opts.headerName ?? "X-Line-Signature"]: signature } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => {
      // A server refusing an oversize body may close the socket before reading it all.
      if (err.code === "EPIPE" || err.code === "ECONNRESET") resolve({ status: -1, json: undefined });
      else reject(err);
    });
    if (opts.chunked) {
      // A write before end: Node cannot know the length, so it sends the body in chunks.
      req.write(body);
      req.end();
    } else req.end(body);
  });
}

export const webhookBody = (events: unknown[], destination = "Ubot0000000000000000000000000000") => JSON.stringify({ destination, events });

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fresh PostgreSQL database when TEST_DATABASE_URL is set (for tests that boot a server themselves). */
export const freshPostgres = (prefix = "tsunagu_line") => freshTestDatabase(prefix);
