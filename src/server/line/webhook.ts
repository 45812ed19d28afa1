import crypto from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Database } from "../db/database.ts";
import type { AppEnv } from "../http/env.ts";
import { Problem, problems } from "../http/problem.ts";
import type { ChannelService } from "./channels.ts";
import type { Inbox, InboundEvent } from "./inbox.ts";
import { lineRepository as repo } from "./repository.ts";

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

/**
 * POST /line/webhook/:channelId — outside /api: no session, no CSRF; the signature is the
 * authentication. Answers 200 only once the events and their jobs are committed.
 */
export function webhookRoutes(deps: { db: Database; channels: ChannelService; inbox: Inbox }) {
  const app = new Hono<AppEnv>();
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
      const channel = /^\d{1,20}$/.test(id) ? await repo.channelByLineId(deps.db, id) : undefined;
      if (!channel) throw problems.notFound("LINE channel");
      const raw = new Uint8Array(await c.req.arrayBuffer());
      // Header names are case-insensitive in HTTP; Hono's lookup is too.
      if (!signatureMatches(raw, deps.channels.channelSecret(channel), c.req.header("x-line-signature"))) {
        throw new Problem(401, "invalid_signature", "Invalid signature", "X-Line-Signature does not match the body and the channel secret.");
      }
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
      if (parsed.data.events.length === 0) return c.json({ received: 0, queued: 0 }, 200);
      const result = await deps.inbox.ingest(channel, parsed.data.events as InboundEvent[]);
      return c.json(result, 200);
    },
  );
  return app;
}
