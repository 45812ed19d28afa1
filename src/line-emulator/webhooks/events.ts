import { newWebhookEventId, randomToken } from "../ids.ts";

/** A webhook event object as webhook.yml defines it (the emulator only plays 1:1 user chats). */
export interface WebhookEvent {
  type: string;
  webhookEventId: string;
  timestamp: number;
  mode: "active";
  source: { type: "user"; userId: string };
  deliveryContext: { isRedelivery: boolean };
  replyToken?: string;
  [key: string]: unknown;
}

function base(type: string, userId: string, at: number): WebhookEvent {
  return {
    type,
    webhookEventId: newWebhookEventId(),
    timestamp: at,
    mode: "active",
    source: { type: "user", userId },
    deliveryContext: { isRedelivery: false },
  };
}

export const newReplyToken = (): string => randomToken(24);

export function followEvent(userId: string, at: number, isUnblocked: boolean): WebhookEvent {
  return { ...base("follow", userId, at), replyToken: newReplyToken(), follow: { isUnblocked } };
}

export function unfollowEvent(userId: string, at: number): WebhookEvent {
  return base("unfollow", userId, at);
}

export function messageEvent(userId: string, at: number, message: Record<string, unknown>): WebhookEvent {
  return { ...base("message", userId, at), replyToken: newReplyToken(), message };
}

export function postbackEvent(userId: string, at: number, data: string): WebhookEvent {
  return { ...base("postback", userId, at), replyToken: newReplyToken(), postback: { data } };
}

export function unsendEvent(userId: string, at: number, messageId: string): WebhookEvent {
  return { ...base("unsend", userId, at), unsend: { messageId } };
}
