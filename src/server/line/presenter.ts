import type { LineChannel } from "../../shared/line.ts";
import type { ChannelRow, WebhookEventRow } from "./repository.ts";

/** Channel row → API JSON. Sealed secrets never leave: only whether each one is set. */
export function presentChannel(c: ChannelRow, webhookUrl: string): LineChannel {
  return {
    id: c.id,
    channelId: c.channel_id,
    mode: c.mode,
    dedicatedMemberId: c.dedicated_member_id,
    tokenSource: c.token_source,
    hasChannelSecret: !!c.channel_secret_enc,
    hasAccessToken: !!c.access_token_enc,
    accessTokenExpiresAt: c.access_token_expires_at?.toISOString() ?? null,
    loginChannelId: c.login_channel_id,
    hasLoginChannelSecret: !!c.login_channel_secret_enc,
    basicId: c.basic_id,
    botName: c.bot_name,
    webhookUrl,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

export function presentWebhookEvent(e: WebhookEventRow & { line_channel_id: string }) {
  return {
    id: e.id,
    webhookEventId: e.webhook_event_id,
    channelId: e.line_channel_id,
    type: e.event_type,
    lineUserId: e.line_user_id,
    timestamp: e.event_timestamp.toISOString(),
    receivedAt: e.received_at.toISOString(),
    state: e.state,
    lastError: e.last_error,
  };
}
