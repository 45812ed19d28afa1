import crypto from "node:crypto";
import { ulid } from "ulid";

/** LINE user ids are "U" + 32 lowercase hex digits (webhook.yml: `U[0-9a-f]{32}`). */
export function newUserId(): string {
  return `U${crypto.randomBytes(16).toString("hex")}`;
}

/** The bot's own user id (webhook `destination`) is stable per channel so restarts keep it. */
export function botUserIdFor(channelId: string): string {
  return `U${crypto.createHash("sha256").update(`bot:${channelId}`).digest("hex").slice(0, 32)}`;
}

let lastMessageId = BigInt(Date.now()) * 1000n;
/** Message ids are numeric strings on LINE; a time-based counter keeps them unique across restarts. */
export function newMessageId(): string {
  const candidate = BigInt(Date.now()) * 1000n;
  lastMessageId = candidate > lastMessageId ? candidate : lastMessageId + 1n;
  return lastMessageId.toString();
}

export const newWebhookEventId = (): string => ulid();

export function randomToken(bytes = 24): string {
  return crypto.randomBytes(bytes).toString("base64url");
}

/** LINE's x-line-request-id is a UUID without a fixed format contract; a UUID keeps it recognisable. */
export const newRequestId = (): string => crypto.randomUUID();
