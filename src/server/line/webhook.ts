import crypto from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "../http/body-limit.ts";
import { z } from "zod";
import type { Database } from "../db/database.ts";
import type { AppEnv } from "../http/env.ts";
import { Problem, problems } from "../http/problem.ts";
import type { ChannelService } from "./channels.ts";
import type { Inbox, InboundEvent } from "./inbox.ts";
import { lineRepository as repo, type ChannelRow } from "./repository.ts";

/** LINE's deliveries are a few KB; 1 MB leaves room for large batches and refuses floods. */
export const WEBHOOK_MAX_BYTES = 1024 * 1024;

/** The parts of LINE's callback body (webhook.yml CallbackRequest) the inbox needs; the rest is kept as sent. */
const CallbackSchema = z.object({
  destination: z.string(),
  events: z
    .array(
      z.looseObject({
        type: z.string().min(1).max(100),
        timestamp: z.number().int().nonnegative(),
        webhookEventId: z.string().min(1).max(100),
        source: z.looseObject({ type: z.string(), userId: z.string().max(100).optional() }).optional(),
      }),
    )
    .max(1000),
});

/** X-Line-Signature: base64 HMAC-SHA256 of the raw body, keyed with the channel secret; compared in constant time. */
export function signatureMatches(raw: Uint8Array, channelSecret: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = crypto.createHmac("sha256", channelSecret).update(raw).digest();
  const given = Buffer.from(header, "base64");
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

export function signBody(raw: string | Uint8Array, channelSecret: string): string {
  return crypto.createHmac("sha256", channelSecret).update(raw).digest("base64");
}

/** How long a channel and its opened secret are reused between deliveries. */
const CHANNEL_CACHE_MS = 5_000;

/**
 * The channel and its opened secret per LINE channel id, kept for a few seconds: LINE delivers in
 * bursts, and each delivery would otherwise pay a query and a decryption before its signature can
 * be checked. A signature that fails against a cached secret is checked again against the stored
 * one, so a changed secret takes effect at once.
 */
function channelLookup(db: Database, channels: ChannelService) {
  const cache = new Map<string, { channel: ChannelRow; secret: string; until: number }>();
  return async (lineChannelId: string, fresh: boolean) => {
    const hit = cache.get(lineChannelId);
    if (hit && !fresh && hit.until > Date.now()) return { ...hit, cached: true };
    const channel = await repo.channelByLineId(db, lineChannelId);
    if (!channel) {
      cache.delete(lineChannelId);
      return undefined;
    }
    const entry = { channel, secret: channels.channelSecret(channel), until: Date.now() + CHANNEL_CACHE_MS };
    cache.set(lineChannelId, entry);
    return { ...entry, cached: false };
  };
}

/**
 * POST /line/webhook/:channelId — outside /api: no session, no CSRF; the signature is the
 * authentication. Answers 200 only once the events are committed (as the intake's row; see inbox.ts).
 */
export function webhookRoutes(deps: { db: Database; channels: ChannelService; inbox: Inbox }) {
  const app = new Hono<AppEnv>();
  const lookup = channelLookup(deps.db, deps.channels);
  app.post(
    "/webhook/:channelId",
    bodyLimit({
      maxSize: WEBHOOK_MAX_BYTES,
      onError: () => {
        throw new Problem(413, "payload_too_large", "Webhook body too large", `A webhook body must be at most ${WEBHOOK_MAX_BYTES} bytes.`);
      },
    }),
    async (c) => {
      const id = c.req.param("channelId");
      let found = /^\d{1,20}$/.test(id) ? await lookup(id, false) : undefined;
      if (!found) throw problems.notFound("LINE channel");
      const raw = new Uint8Array(await c.req.arrayBuffer());
      // Header names are case-insensitive in HTTP; Hono's lookup is too.
      const signature = c.req.header("x-line-signature");
      if (found.cached && !signatureMatches(raw, found.secret, signature)) {
        // The secret may have changed since it was cached.
        found = await lookup(id, true);
        if (!found) throw problems.notFound("LINE channel");
      }
      if (!signatureMatches(raw, found.secret, signature)) {
        throw new Problem(401, "invalid_signature", "Invalid signature", "X-Line-Signature does not match the body and the channel secret.");
      }
      const { channel } = found;
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
      } catch {
        throw new Problem(400, "malformed_json", "Malformed JSON", "The webhook body is not valid JSON.");
      }
      const parsed = CallbackSchema.safeParse(body);
      if (!parsed.success)
        throw problems.validation(parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message })));
      // An empty list is LINE's "Verify" button: answer 200 and store nothing.
      if (parsed.data.events.length === 0) return c.json({ received: 0 }, 200);
      const result = await deps.inbox.ingest(channel, parsed.data.events as InboundEvent[]);
      return c.json(result, 200);
    },
  );
  return app;
}
