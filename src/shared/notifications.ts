import { z } from "zod";
import { LocaleSchema } from "./invitations.ts";
import { MessageTypeSchema } from "./rooms.ts";

/** How long a room may stay unread before it is in an e-mail digest; null = no digest. */
export const DIGEST_MINUTES = [15, 30, 60, 120] as const;

/** A member's notification settings, kept on the server so every device of theirs follows them. */
export const NotificationSettingsSchema = z.object({
  /** A desktop notification (Notification API) when a LINE user writes and the room is not on screen. */
  desktop: z.boolean(),
  /** A short sound with it. */
  sound: z.boolean(),
  /** An e-mail listing rooms unread for this many minutes (null: none). */
  digestMinutes: z.literal(DIGEST_MINUTES).nullable(),
  /** The language the digest is written in: the web app's, when the member saved. */
  language: LocaleSchema,
});
export type NotificationSettings = z.infer<typeof NotificationSettingsSchema>;

/** What `PushSubscription.toJSON()` gives in a browser: where to push, and the keys to encrypt for. */
export const PushSubscriptionBody = z.object({
  endpoint: z.string().url().max(2000),
  keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
  /** The language this device's web app shows: its pushes are written in it (English when not said). */
  language: LocaleSchema.default("en"),
});
export type PushSubscriptionInput = z.infer<typeof PushSubscriptionBody>;

export const PushUnsubscribeBody = z.object({ endpoint: z.string().url().max(2000) });

/** The deployment's VAPID public key (base64url), the `applicationServerKey` of a subscription. */
export const VapidKeySchema = z.object({ publicKey: z.string() });

/** Unread messages across my rooms: the Message tab's badge and the document title. */
export const UnreadSummarySchema = z.object({ total: z.number().int(), rooms: z.number().int() });

/**
 * The payload of a Web Push (JSON, encrypted for the device) and of the `message.created` event of
 * an inbound message: enough to show a notification without asking the server again.
 */
export const MessageNoticeSchema = z.object({
  roomId: z.string().uuid(),
  messageId: z.string().uuid(),
  /** The LINE user's display name. */
  title: z.string(),
  /** The message's preview line. */
  body: z.string(),
});
export type MessageNotice = z.infer<typeof MessageNoticeSchema>;

/**
 * The `message.created` event of a LINE user's message. Its `body` is the language-free preview (a
 * text, a file's name, or nothing) with the message's `type`: each web app words the kind in its
 * own language (previewLine) before showing the notification. Events stored before `type` have none.
 */
export const InboundMessageEventSchema = MessageNoticeSchema.extend({ inbound: z.literal(true), type: MessageTypeSchema.optional() });
