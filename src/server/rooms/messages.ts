import crypto from "node:crypto";
import { pipeline } from "node:stream";
import type { webhook } from "@line/bot-sdk";
import type { Logger } from "pino";
import type { SendMessageBody } from "../../shared/rooms.ts";
import type { Database, Queryable } from "../db/database.ts";
import { assertLineAccess, lineAccess } from "../directory/gate.ts";
import { directoryRepository, type MemberRow } from "../directory/repository.ts";
import type { Auth } from "../directory/service.ts";
import { sniffImage, storedType } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";
import { keepHead } from "../files/streaming.ts";
import { Problem, problems } from "../http/problem.ts";
import { defineJob, enqueue } from "../jobs/queue.ts";
import type { ChannelService } from "../line/channels.ts";
import type { LineMessage, Sender } from "../line/client.ts";
import { isStandby, type BatchedMessage, type LineEventContext, type LineEventHandlers, type MessageBatchPlan } from "../line/handlers.ts";
import { lineRepository } from "../line/repository.ts";
import { publish, publishMany } from "../realtime/publish.ts";
import { setFriendshipsState, type RoomNotifier } from "./friendships.ts";
import { messageRepository as repo, type MessageRow, type MessageType } from "./messages-repository.ts";
import { createMemberIntroductions, lineOutboxKey } from "./member-card.ts";
import { MORE_PREFIX, TALK_TO_PREFIX, createMemberPicker } from "./member-picker.ts";
import { squarePngIcon } from "./sender-icon.ts";
import { createLineImageConverter, sniffRoomImage, type LineImageFile } from "./line-image.ts";
import { z } from "zod";

const MEDIA_TYPES = new Set<MessageType>(["image", "video", "audio", "file"]);
/** Messages the set-based drain stores: nothing to copy from LINE, a preview from the payload alone. */
const SET_BASED_TYPES = new Set<string>(["text", "sticker", "location"]);
export const UPLOAD_MAX_BYTES = 10 * 1024 * 1024;
/** LINE's shortest loading animation; the member's typing is passed on at most this often per room. */
const TYPING_SECONDS = 5;

/** Unguessable per-object signature for the few public URLs LINE must fetch (sender icons, pushed images). */
const sig = (secret: string, value: string) => crypto.createHmac("sha256", secret).update(value).digest("base64url").slice(0, 22);

/**
 * Where an outbound image's LINE versions are stored (payload.line, kept out of the API by the
 * presenter): each the upload's own key when it already met LINE's rules. An image sent before
 * these existed has none, and LINE is sent the upload for both, as then.
 */
export interface LineImageKeys {
  original: string;
  preview: string;
}
export type LineMediaVariant = "original" | "preview";

/**
 * The room list's preview, free of any language: the text, a file's name, a place's title, or
 * nothing. The room keeps the message's type beside it, and the web app words the kind ("[File]")
 * in the member's language.
 */
export function previewOf(type: MessageType, payload: Record<string, unknown>): string {
  switch (type) {
    case "text":
      return String(payload.text ?? "").slice(0, 100);
    case "file":
      return String(payload.fileName ?? "").slice(0, 100);
    case "location":
      return String(payload.title ?? payload.address ?? "").slice(0, 100);
    default:
      return "";
  }
}

/** The sticker id the room list shows as a picture, when the message is a sticker. */
export function stickerOf(type: MessageType, payload: Record<string, unknown>): string | null {
  return type === "sticker" && typeof payload.stickerId === "string" ? payload.stickerId : null;
}

export interface MessagingDeps {
  db: Database;
  files: FileStore;
  channels: ChannelService;
  publicBaseUrl: () => string;
  /** Signs public media/icon URLs; the instance's secret key. */
  urlSecret: string;
  clock: () => Date;
  log: Logger;
  /** In the transaction that stored LINE users' messages: Web Push to a member with no web app open. */
  onInboundMessages: (tx: Queryable, messageIds: readonly string[]) => Promise<void>;
}

export function createMessaging(deps: MessagingDeps) {
  const { db, files, clock } = deps;
  const convertForLine = createLineImageConverter();
  /** When each room last showed LINE's loading animation (per instance: a duplicate is harmless). */
  const typingSent = new Map<string, number>();

  /** Tells the member's open web apps once the transaction commits. */
  const announce = (tx: Queryable, tenantId: string, memberId: string, type: string, data: object) =>
    publish(tx, { tenantId, memberIds: [memberId], type, data });

  /**
   * The notifier friendships use: announce; on a new connection show the LINE user the member's
   * card, and offer "talk to …" once they have several members (card first: one ordering key).
   */
  const roomNotifier: RoomNotifier = async (tx, ev) => {
    if (ev.type === "room.created") {
      const [room] = await tx.query<{ line_user_id: string }>("SELECT line_user_id FROM rooms WHERE id = $1", [ev.roomId]);
      if (room) {
        const orderingKey = lineOutboxKey(room.line_user_id);
        await enqueue(tx, introductions.introduceJob, { roomId: ev.roomId, seed: "connected" }, { orderingKey });
        if ((await repo.activeFriendsOf(tx, room.line_user_id)).length > 1) await enqueue(tx, picker.offerJob, { lineUserId: room.line_user_id, offset: 0 }, { orderingKey });
      }
    }
    await announce(tx, ev.tenantId, ev.memberId, ev.type, { roomId: ev.roomId });
  };

  function senderIconUrl(member: MemberRow): string | undefined {
    if (!member.photo_key) return undefined;
    return `${deps.publicBaseUrl()}/line/icons/${member.id}/${sig(deps.urlSecret, member.photo_key)}.png`;
  }
  const senderOf = (member: MemberRow): Sender => ({ name: member.display_name.slice(0, 20), iconUrl: senderIconUrl(member) });
  const introductions = createMemberIntroductions({ channels: deps.channels, senderOf, log: deps.log, clock: deps.clock });
  const picker = createMemberPicker({ channels: deps.channels, senderOf, log: deps.log, clock: deps.clock });

  function toLineMessage(m: MessageRow): LineMessage {
    const p = m.payload;
    const mediaUrl = `${deps.publicBaseUrl()}/line/media/${m.id}/${sig(deps.urlSecret, m.id)}`;
    switch (m.type) {
      case "text":
        return { type: "text", text: String(p.text) };
      case "sticker":
        return { type: "sticker", packageId: String(p.packageId), stickerId: String(p.stickerId) };
      case "image":
        return { type: "image", originalContentUrl: mediaUrl, previewImageUrl: `${mediaUrl}/preview` };
      default:
        // The Messaging API cannot push files: the LINE user gets the name, size and a download link.
        return { type: "text", text: `${String(p.fileName)} (${Math.ceil(Number(p.fileSize ?? 0) / 1024)} KB)\n${mediaUrl}` };
    }
  }

  async function memberRoom(auth: Auth, roomId: string) {
    assertLineAccess(auth.tenant, auth.member);
    const room = await repo.roomContext(db, roomId);
    if (!room || room.member_id !== auth.member.id) throw problems.notFound("Room");
    return room;
  }

  /** What storing a LINE user's message keeps: the message without LINE's id, and the room list's preview of it. */
  function inboundOf(ev: webhook.MessageEvent) {
    const { id: lineMessageId, ...payload } = ev.message as { id: string; type: MessageType } & Record<string, unknown>;
    const type = payload.type;
    return { lineMessageId, payload, type, at: new Date(ev.timestamp), preview: previewOf(type, payload), stickerId: stickerOf(type, payload) };
  }

  /** The event that tells the member's open web apps; it alone shows a notification there (MessageNotice), without asking again. */
  const messageCreated = (
    room: { id: string; tenant_id: string; member_id: string },
    messageId: string,
    lineUserName: string | null,
    m: { preview: string; type: MessageType },
  ) => ({
    tenantId: room.tenant_id,
    memberIds: [room.member_id],
    type: "message.created",
    // The kind lets the web app word a photo or sticker in its own language (the preview has no words for them).
    data: { roomId: room.id, messageId, inbound: true, title: lineUserName ?? "LINE", body: m.preview, type: m.type },
  });

  async function storeInbound(ctx: LineEventContext, ev: webhook.MessageEvent) {
    const dedicated = ctx.channel.mode === "dedicated" ? ctx.channel.dedicated_member_id : null;
    if (ctx.channel.mode === "dedicated" && !dedicated) return;
    // No room yet (no friendship): the invitations feature answered (Message ID search).
    const room = await repo.currentRoom(ctx.tx, ctx.lineUser.id, dedicated);
    if (!room) return;
    const m = inboundOf(ev);
    const fromLine = MEDIA_TYPES.has(m.type) && (m.payload.contentProvider as { type?: string } | undefined)?.type !== "external";
    const stored = await repo.insertInbound(ctx.tx, { tenantId: room.tenant_id, roomId: room.id, ...m, contentState: fromLine ? "pending" : "none" });
    if (!stored) return;
    // LINE keeps user content only for a while: copy it now (a job, so a slow download never holds the webhook).
    if (fromLine) await enqueue(ctx.tx, contentJob, { messageId: stored.id });
    // Messages are kept even while the member is revoked; they see them when access returns.
    await publish(ctx.tx, messageCreated(room, stored.id, ctx.lineUser.display_name, m));
    await deps.onInboundMessages(ctx.tx, [stored.id]);
  }

  /**
   * storeInbound for many LINE users' messages at once (the set-based drain): the kinds that have
   * no content to copy from LINE, into rooms that exist; the rest go through storeInbound.
   */
  async function storeInboundMany(tx: Queryable, batch: readonly BatchedMessage[]): Promise<MessageBatchPlan> {
    const dedicatedOf = (b: BatchedMessage) => (b.channel.mode === "dedicated" ? b.channel.dedicated_member_id : null);
    const rooms = new Map((await repo.currentRooms(tx, batch.map((b) => ({ lineUserRowId: b.lineUser.id, dedicatedMemberId: dedicatedOf(b) })))).map((r) => [r.i, r]));
    return {
      accepts: batch.map((b, i) => SET_BASED_TYPES.has(b.ev.message.type) && rooms.has(i) && !(b.channel.mode === "dedicated" && !dedicatedOf(b))),
      async apply(indexes) {
        const items = indexes.map((i) => ({ room: rooms.get(i)!, lineUser: batch[i]!.lineUser, m: inboundOf(batch[i]!.ev) }));
        const stored = await repo.insertInboundMany(
          tx,
          items.map(({ room, m }) => ({ tenantId: room.tenant_id, roomId: room.id, ...m })),
        );
        if (!stored.length) return;
        await publishMany(
          tx,
          stored.map(({ i, id }) => messageCreated(items[i]!.room, id, items[i]!.lineUser.display_name, items[i]!.m)),
        );
        await deps.onInboundMessages(
          tx,
          stored.map((s) => s.id),
        );
      },
    };
  }

  const lineHandlers: LineEventHandlers = {
    async follow(ctx, ev) {
      if ((ev.follow as { isUnblocked?: boolean }).isUnblocked)
        await setFriendshipsState(ctx.tx, ctx.lineUser.id, "active", roomNotifier, new Date(ev.timestamp));
    },
    async unfollow(ctx, ev) {
      await setFriendshipsState(ctx.tx, ctx.lineUser.id, "blocked", roomNotifier, new Date(ev.timestamp));
    },
    message: storeInbound,
    messages: storeInboundMany,
    async postback(ctx, ev) {
      if (isStandby(ev)) return;
      const data = ev.postback.data;
      const orderingKey = lineOutboxKey(ctx.lineUser.id);
      const replyToken = ev.replyToken;
      if (data.startsWith(MORE_PREFIX)) {
        const offset = Number(data.slice(MORE_PREFIX.length));
        if (Number.isSafeInteger(offset) && offset > 0) await enqueue(ctx.tx, picker.offerJob, { lineUserId: ctx.lineUser.id, offset, replyToken }, { orderingKey });
        return;
      }
      if (!data.startsWith(TALK_TO_PREFIX)) return;
      const memberId = data.slice(TALK_TO_PREFIX.length);
      const friend = (await repo.activeFriendsOf(ctx.tx, ctx.lineUser.id)).find((f) => f.member_id === memberId);
      if (!friend) return;
      await repo.setCurrentMember(ctx.tx, ctx.lineUser.id, memberId);
      await enqueue(ctx.tx, picker.pickedJob, { lineUserId: ctx.lineUser.id, memberId, replyToken }, { orderingKey });
    },
    /** A new LINE name or picture: every member's room with this LINE user shows it, live. */
    async profileChanged(ctx, { after }) {
      const rooms = await ctx.tx.query<{ id: string; tenant_id: string; member_id: string }>(
        "SELECT id, tenant_id, member_id FROM rooms WHERE line_user_id = $1",
        [after.id],
      );
      for (const room of rooms) await announce(ctx.tx, room.tenant_id, room.member_id, "room.updated", { roomId: room.id });
    },
    async unsend(ctx, ev) {
      const rooms = await ctx.tx.query<{ id: string; tenant_id: string; member_id: string }>(
        "SELECT id, tenant_id, member_id FROM rooms WHERE line_user_id = $1",
        [ctx.lineUser.id],
      );
      const changed = await repo.markUnsent(ctx.tx, rooms.map((r) => r.id), ev.unsend.messageId, clock());
      for (const c of changed) {
        const room = rooms.find((r) => r.id === c.room_id)!;
        await announce(ctx.tx, room.tenant_id, room.member_id, "message.updated", { roomId: room.id, messageId: c.id });
      }
    },
  };

  const MessageJobPayload = z.object({ messageId: z.uuid() });

  /**
   * Pushes a member's message. LINE is called outside any transaction (a slow LINE must not hold
   * a connection — on PGlite the only one); the retry key makes a push repeated after a crash a
   * 409 at LINE, read as sent, so the LINE user sees it once.
   */
  const deliverJob = defineJob({
    kind: "rooms.deliver",
    payload: MessageJobPayload,
    outsideTransaction: true,
    async run({ messageId }, { db }) {
      const m = await repo.message(db, messageId);
      if (!m || m.delivery_state !== "sending") return;
      const room = (await repo.roomContext(db, m.room_id))!;
      const member = (await directoryRepository.member(db, room.tenant_id, room.member_id))!;
      const tenant = (await directoryRepository.tenant(db, room.tenant_id))!;
      let result: { state: "sent"; sentMessageIds: string[] } | { state: "failed"; reason: string };
      if (room.friendship_state !== "active") result = { state: "failed", reason: "The LINE user has blocked this account." };
      else if (!lineAccess(tenant, member).allowed) result = { state: "failed", reason: "You are no longer allowed to chat with LINE users." };
      else {
        const channel = (await lineRepository.channel(db, room.channel_row_id))!;
        const client = await deps.channels.clientFor(channel, db);
        result = await client.push(room.line_user_id, [toLineMessage(m)], { sender: senderOf(member), retryKey: m.retry_key! });
      }
      await db.transaction(async (tx) => {
        const updated = await repo.setDelivery(tx, m.id, {
          state: result.state,
          error: result.state === "failed" ? result.reason : null,
          // LINE's own id of the message (not the request's): what LINE names it by from now on.
          lineMessageId: result.state === "sent" ? (result.sentMessageIds[0] ?? null) : null,
          at: clock(),
        });
        await announce(tx, room.tenant_id, room.member_id, "message.updated", { roomId: room.id, messageId: updated.id });
      });
    },
  });

  /** The member opened the room: LINE shows the LINE user "Read" (the call is made outside any transaction). */
  const markReadJob = defineJob({
    kind: "rooms.mark-read",
    payload: z.object({ roomId: z.uuid(), token: z.string().min(1).max(500) }),
    outsideTransaction: true,
    async run({ roomId, token }, { db }) {
      const room = await repo.roomContext(db, roomId);
      if (!room || room.friendship_state !== "active") return;
      const channel = (await lineRepository.channel(db, room.channel_row_id))!;
      try {
        await (await deps.channels.clientFor(channel, db)).markAsRead(token);
      } catch (err) {
        // A token LINE no longer takes stays refused; only LINE's own trouble is worth a retry.
        const status = (err as { status?: number | null }).status;
        if (status === null || status === undefined || status >= 500 || status === 429) throw err;
        deps.log.warn({ roomId, reason: (err as Error).message }, "LINE refused to mark messages read");
      }
    },
  });

  /**
   * LINE keeps user content only for a while: our copy, fetched outside the webhook's path and
   * outside any transaction (a download of tens of MB must not hold a connection). The file key
   * is the message's, so a download repeated after a crash overwrites the same file.
   */
  const contentJob = defineJob({
    kind: "rooms.content",
    payload: MessageJobPayload,
    outsideTransaction: true,
    async run({ messageId }, { db }) {
      const m = await repo.message(db, messageId);
      if (!m || m.content_state !== "pending" || !m.line_message_id) return;
      const room = (await repo.roomContext(db, m.room_id))!;
      const channel = (await lineRepository.channel(db, room.channel_row_id))!;
      const client = await deps.channels.clientFor(channel, db);
      let outcome: { state: "stored"; key: string; type: string | undefined } | { state: "failed" };
      try {
        const content = await client.openContent(m.line_message_id);
        const key = `messages/${m.room_id}/${m.id}`;
        // Streamed into the store (videos and files run to tens of MB); the head is kept to sniff.
        const head = keepHead();
        await files.putStream(key, pipeline(content.stream, head, () => {}));
        // What LINE's content API declares is the sender's claim; the bytes decide (files/content-policy.ts).
        outcome = { state: "stored", key, type: await storedType(head.head()) };
      } catch (err) {
        // Gone at LINE (404/410): retrying cannot help, so record it; anything else retries.
        const status = (err as { status?: number }).status;
        if (status !== 404 && status !== 410) throw err;
        outcome = { state: "failed" };
      }
      await db.transaction(async (tx) => {
        await repo.setContent(tx, m.id, outcome);
        await announce(tx, room.tenant_id, room.member_id, "message.updated", { roomId: room.id, messageId: m.id });
      });
    },
  });

  return {
    lineHandlers,
    jobs: [deliverJob, contentJob, markReadJob, introductions.introduceJob, picker.offerJob, picker.pickedJob],
    roomNotifier,

    async history(auth: Auth, roomId: string, limit: number, before?: { at: Date; id: string }) {
      const room = await memberRoom(auth, roomId);
      return repo.history(db, room.id, limit, before);
    },

    /**
     * The member is typing: LINE's loading animation for the LINE user, at most once per
     * TYPING_SECONDS per room (the animation lasts that long). Fire and forget, outside any
     * transaction: an animation that does not show is no reason to fail the member's keystroke.
     */
    async typing(auth: Auth, roomId: string) {
      const room = await memberRoom(auth, roomId);
      if (room.friendship_state !== "active" || !auth.tenant.line_typing) return;
      const now = clock().getTime();
      if ((typingSent.get(room.id) ?? 0) > now - TYPING_SECONDS * 1000) return;
      typingSent.set(room.id, now);
      const channel = (await lineRepository.channel(db, room.channel_row_id))!;
      void deps.channels
        .clientFor(channel, db)
        .then((client) => client.showLoading(room.line_user_id, TYPING_SECONDS))
        .catch((err: unknown) => deps.log.warn({ err, roomId }, "LINE's loading animation not shown"));
    },

    async markRead(auth: Auth, roomId: string) {
      const room = await memberRoom(auth, roomId);
      await db.transaction(async (tx) => {
        const token = await repo.markRead(tx, room.id);
        if (token && auth.tenant.line_read_receipts) await enqueue(tx, markReadJob, { roomId: room.id, token }, { orderingKey: lineOutboxKey(room.line_user_row_id) });
        await announce(tx, room.tenant_id, room.member_id, "room.updated", { roomId: room.id });
      });
    },

    async send(auth: Auth, roomId: string, body: z.output<typeof SendMessageBody>, upload?: { bytes: Uint8Array; fileName: string }) {
      const room = await memberRoom(auth, roomId);
      if (room.friendship_state !== "active")
        throw new Problem(409, "line_user_blocked", "This LINE user has blocked the account", "Messages cannot be sent until they unblock it. History is kept.");
      let payload: Record<string, unknown>;
      let content: { key: string; type: string } | undefined;
      if (body.type === "text") payload = { text: body.text };
      else if (body.type === "sticker") payload = { packageId: body.packageId, stickerId: body.stickerId };
      else {
        if (!upload) throw problems.validation([{ path: "(body)", message: "attach the file's bytes" }]);
        if (body.type === "file" && !auth.tenant.line_files_allowed)
          throw new Problem(403, "files_not_allowed", "Files are not allowed in LINE rooms", "Your administrator has turned off sending files to LINE users.");
        const imageType = body.type === "image" ? await sniffRoomImage(upload.bytes) : undefined;
        if (body.type === "image" && !imageType) throw new Problem(415, "unsupported_media_type", "Not a supported image", "Send a JPG, PNG, GIF or WebP image.");
        // Converted before anything is stored, so an image that does not decode leaves nothing behind;
        // and here rather than in the delivery job, which runs inside a transaction, in order per room.
        const lineImage = imageType && (await convertForLine(upload.bytes, imageType));
        const key = `messages/${room.id}/out-${crypto.randomUUID()}`;
        await files.put(key, upload.bytes);
        content = { key, type: imageType ?? (await storedType(upload.bytes)) };
        payload = { fileName: upload.fileName, fileSize: upload.bytes.length };
        if (lineImage) {
          const store = async (file: LineImageFile, name: string) => {
            const variantKey = `${key}.${name}.${file.type === "image/png" ? "png" : "jpg"}`;
            await files.put(variantKey, file.bytes);
            return variantKey;
          };
          const original = lineImage.original === "upload" ? key : await store(lineImage.original, "line");
          const preview = lineImage.preview === "original" ? original : await store(lineImage.preview, "preview");
          payload.line = { original, preview } satisfies LineImageKeys;
        }
      }
      return db.transaction(async (tx) => {
        const m = await repo.insertOutbound(tx, {
          tenantId: room.tenant_id,
          roomId: room.id,
          type: body.type,
          payload,
          senderId: auth.member.id,
          retryKey: crypto.randomUUID(),
          contentKey: content?.key,
          contentType: content?.type,
        });
        await enqueue(tx, deliverJob, { messageId: m.id }, { orderingKey: `deliver:${room.id}` });
        await repo.touchRoom(tx, room.id, m.type, previewOf(m.type, payload), m.created_at, stickerOf(m.type, payload));
        await announce(tx, room.tenant_id, room.member_id, "message.created", { roomId: room.id, messageId: m.id });
        return m;
      });
    },

    /** Retries a failed push with the same retry key: LINE delivers it at most once. */
    async retry(auth: Auth, roomId: string, messageId: string) {
      const room = await memberRoom(auth, roomId);
      const m = await repo.messageInRoom(db, room.id, messageId);
      if (!m || m.direction !== "outbound") throw problems.notFound("Message");
      if (m.delivery_state !== "failed") throw new Problem(409, "not_failed", "Only failed messages can be retried", `This message is ${m.delivery_state}.`);
      return db.transaction(async (tx) => {
        const updated = await repo.setDelivery(tx, m.id, { state: "sending" });
        await enqueue(tx, deliverJob, { messageId: m.id }, { orderingKey: `deliver:${room.id}` });
        await announce(tx, room.tenant_id, room.member_id, "message.updated", { roomId: room.id, messageId: m.id });
        return updated;
      });
    },

    async content(auth: Auth, roomId: string, messageId: string) {
      const room = await memberRoom(auth, roomId);
      const m = await repo.messageInRoom(db, room.id, messageId);
      const file = m?.content_key ? await files.open(m.content_key) : undefined;
      if (!m || !file) throw problems.notFound("Content");
      return { file, fileName: (m.payload.fileName as string | undefined) ?? null };
    },

    /**
     * For LINE's servers: an outbound image/file behind a signed URL. An image's URL gives LINE's
     * version of it (converted where the upload broke LINE's rules), and `preview` its preview.
     */
    async publicMedia(messageId: string, signature: string, variant: LineMediaVariant = "original") {
      if (!/^[0-9a-f-]{36}$/.test(messageId) || sig(deps.urlSecret, messageId) !== signature) return undefined;
      const m = await repo.message(db, messageId);
      if (!m || m.direction !== "outbound" || !m.content_key) return undefined;
      if (variant === "preview" && m.type !== "image") return undefined;
      const lineKeys = m.type === "image" ? (m.payload.line as LineImageKeys | undefined) : undefined;
      const key = lineKeys?.[variant] ?? m.content_key;
      const file = await files.open(key);
      // The member's file name only where the bytes are theirs unchanged (a converted GIF is no longer a .gif).
      return file && { file, fileName: key === m.content_key ? ((m.payload.fileName as string | undefined) ?? null) : null };
    },

    /** For LINE's servers: the member's photo as the square PNG a push's sender icon must be. */
    async senderIcon(memberId: string, signature: string) {
      if (!/^[0-9a-f-]{36}$/.test(memberId)) return undefined;
      const [m] = await db.query<{ photo_key: string | null }>("SELECT photo_key FROM members WHERE id = $1", [memberId]);
      if (!m?.photo_key || sig(deps.urlSecret, m.photo_key) !== signature) return undefined;
      const bytes = await files.get(m.photo_key);
      const type = bytes && (await sniffImage(bytes));
      return bytes && type ? squarePngIcon(bytes, type) : undefined;
    },
  };
}

export type Messaging = ReturnType<typeof createMessaging>;
