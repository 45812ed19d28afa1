import { z } from "zod";
import type { Locale } from "./invitations.ts";

export const MessageTypeSchema = z.enum(["text", "sticker", "image", "video", "audio", "file", "location"]);
export type RoomMessageType = z.infer<typeof MessageTypeSchema>;

/**
 * The words for a message kind that has no text of its own, in each language. One table for every
 * place a message is announced — the room list (web i18n), desktop notifications, Web Push and the
 * digest mail — so "[Image]" never reaches a Japanese or Korean reader in English.
 */
export const PREVIEW_KINDS: Record<Locale, Record<Exclude<RoomMessageType, "text">, string>> = {
  en: { sticker: "[Sticker]", image: "[Image]", video: "[Video]", audio: "[Audio]", file: "[File]", location: "[Location]" },
  ja: { sticker: "[スタンプ]", image: "[画像]", video: "[動画]", audio: "[音声]", file: "[ファイル]", location: "[位置情報]" },
  ko: { sticker: "[스티커]", image: "[이미지]", video: "[동영상]", audio: "[음성]", file: "[파일]", location: "[위치]" },
};

/**
 * A message's preview line in a language: a text as it is; any other kind worded ("[File]"), then
 * its language-free preview (a file's name, a place's title) if it has one.
 */
export function previewLine(type: RoomMessageType, preview: string, locale: Locale): string {
  if (type === "text") return preview;
  const kind = PREVIEW_KINDS[locale][type];
  return preview ? `${kind} ${preview}` : kind;
}

export const RoomLineUserSchema = z.object({
  id: z.string().uuid(),
  displayName: z.string().nullable(),
  statusMessage: z.string().nullable(),
  pictureUrl: z.string().nullable(),
});

export const RoomSchema = z.object({
  id: z.string().uuid(),
  kind: z.literal("line"),
  lineUser: RoomLineUserSchema,
  /** `blocked` while the LINE user blocks the account; history stays. */
  state: z.enum(["active", "blocked"]),
  via: z.string(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  unreadCount: z.number().int(),
  /** The last message's text, file name or place title; empty for kinds without one (image, sticker…). */
  lastMessagePreview: z.string().nullable(),
  /** The last message's kind, so clients word "[Image]" in their reader's language. */
  lastMessageType: MessageTypeSchema.nullable(),
  /** The last message's LINE sticker id when it is a sticker (its picture: `GET /stickers/{id}`), else null. */
  lastMessageStickerId: z.string().nullable(),
});
export type Room = z.infer<typeof RoomSchema>;

export const RoomListQuery = z.object({
  q: z.string().trim().max(100).optional(),
  filter: z.enum(["all", "line"]).default("all"),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().max(200).optional(),
});

export const RoomListSchema = z.object({ items: z.array(RoomSchema), nextCursor: z.string().nullable() });

/** A small built-in sticker set: LINE's stickers that bots may send (packages 446 and 11537). */
export const STICKERS = [
  { packageId: "446", stickerId: "1988" },
  { packageId: "446", stickerId: "1989" },
  { packageId: "446", stickerId: "1990" },
  { packageId: "446", stickerId: "1991" },
  { packageId: "446", stickerId: "1992" },
  { packageId: "446", stickerId: "1993" },
  { packageId: "11537", stickerId: "52002734" },
  { packageId: "11537", stickerId: "52002735" },
  { packageId: "11537", stickerId: "52002736" },
  { packageId: "11537", stickerId: "52002738" },
] as const;

export const SendMessageBody = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string().trim().min(1, "type a message").max(5000, "at most 5,000 characters (LINE's limit)") }),
  z.object({
    type: z.literal("sticker"),
    packageId: z.string(),
    stickerId: z.string(),
  }).refine((b) => STICKERS.some((s) => s.packageId === b.packageId && s.stickerId === b.stickerId), "pick one of the built-in stickers"),
  z.object({ type: z.literal("image") }),
  z.object({ type: z.literal("file") }),
]);

export const UploadQuery = z.object({
  type: z.enum(["image", "file"]),
  fileName: z.string().trim().min(1).max(200),
});

export const MessageSchema = z.object({
  id: z.string().uuid(),
  roomId: z.string().uuid(),
  /** `system`: a line in the history that is no one's message (type `system`, payload `{ event, … }`). */
  direction: z.enum(["inbound", "outbound", "system"]),
  type: z.enum([...MessageTypeSchema.options, "system"]),
  /**
   * Type-specific: text/emojis, sticker ids, fileName/fileSize, location title/address/latitude/longitude;
   * for `system`, `event`: `blocked` | `unblocked` | `contact_added` (with `memberName`); an *outbound*
   * `system` message is what the LINE account sent by itself: `card_sent` (`memberName`, `company`)
   * or `greeting_sent` (`text`, in the LINE user's language as they saw it).
   */
  payload: z.record(z.string(), z.unknown()),
  contentUrl: z.string().nullable(),
  contentState: z.enum(["none", "pending", "stored", "failed"]),
  deliveryState: z.enum(["received", "sending", "sent", "failed", "none"]),
  deliveryError: z.string().nullable(),
  senderMemberId: z.string().nullable(),
  unsent: z.boolean(),
  createdAt: z.string(),
});
export type Message = z.infer<typeof MessageSchema>;

export const MessageListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().max(200).optional(),
});
export const MessageListSchema = z.object({ items: z.array(MessageSchema), nextCursor: z.string().nullable() });

/**
 * The room's LINE user as one of my contacts: the one I see (Add LINE Contact then opens it), or
 * null (Add LINE Contact creates one, or offers to restore the one in my Trash).
 */
export const RoomContactSchema = z.object({ contactId: z.string().uuid().nullable() });
export type RoomContact = z.infer<typeof RoomContactSchema>;
