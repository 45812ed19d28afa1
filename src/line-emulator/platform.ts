import type { Logger } from "pino";
import { newMessageId, newUserId, randomToken } from "./ids.ts";
import { checkImageMessage } from "./api/image-media.ts";
import type { SpecViolation } from "./api/spec-guard.ts";
import type { ChannelState, ChatEntry, EmulatorState, Persona } from "./state.ts";
import { WebhookDispatcher, type DeliveryOptions, type DeliveryRecord } from "./webhooks/delivery.ts";
import { followEvent, messageEvent, postbackEvent, unfollowEvent, unsendEvent, type WebhookEvent } from "./webhooks/events.ts";

/** What a persona can send from the emulator (control API and UI). */
export type UserMessageInput =
  | { type: "text"; text: string; emojis?: unknown[] }
  | { type: "sticker"; packageId: string; stickerId: string }
  | { type: "image" | "video" | "audio" | "file"; contentBase64: string; contentType: string; fileName?: string }
  | { type: "location"; title: string; address: string; latitude: number; longitude: number };

export interface UserAction {
  event: WebhookEvent;
  delivery: DeliveryRecord | undefined;
}

interface ReplyTokenState {
  channelId: string;
  userId: string;
  issuedAt: number;
  used: boolean;
}

/** LINE: a reply token can be used once, within one minute of the webhook. */
export const REPLY_TOKEN_TTL_MS = 60_000;
const RETRY_KEY_TTL_MS = 24 * 60 * 60_000;
const REQUEST_LOG_SIZE = 5000;

export interface ApiRequest {
  at: number;
  method: string;
  path: string;
}

export class PlatformError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The LINE platform's behaviour (friendships, messages, tokens, faults) behind the HTTP edges. */
export class LinePlatform {
  readonly webhooks: WebhookDispatcher;
  readonly replyTokens = new Map<string, ReplyTokenState>();
  readonly retryKeys = new Map<string, { requestId: string; sentMessages: { id: string; quoteToken: string }[]; at: number }>();
  /** Channel access tokens issued by the token endpoints (the long-lived ones live on the channel). */
  readonly issuedTokens = new Map<string, { channelId: string; expiresAt: number }>();
  private readonly faults: { path: string; status: number; times: number }[] = [];
  /** Armed holds: a request on the path waits, unanswered, until the holds are released (a LINE that hangs). */
  private readonly holds: { path: string; times: number }[] = [];
  private readonly held = new Set<() => void>();
  /** Requests LINE's OpenAPI documents refuse (see api/spec-guard.ts), oldest first. */
  readonly violations: SpecViolation[] = [];
  /** The latest requests to LINE's paths (tests count calls: "a burst costs one profile call"). */
  readonly requests: ApiRequest[] = [];
  /** markAsReadToken → the message it came with (LINE's tokens are per message, for the channel that received it). */
  readonly readTokens = new Map<string, { channelId: string; userId: string; messageId: string }>();
  baseUrl = "";

  constructor(
    readonly state: EmulatorState,
    delivery: DeliveryOptions,
    readonly log?: Logger,
    readonly now: () => number = Date.now,
  ) {
    this.webhooks = new WebhookDispatcher(state, delivery, log);
  }

  channel(channelId: string): ChannelState {
    const c = this.state.channels.get(channelId);
    if (!c) throw new PlatformError(404, `Unknown channel ${channelId}`);
    return c;
  }

  persona(userId: string): Persona {
    const p = this.state.personas.get(userId);
    if (!p) throw new PlatformError(404, `Unknown user ${userId}`);
    return p;
  }

  channelForToken(token: string): ChannelState | undefined {
    const direct = this.state.channelByToken(token);
    if (direct) return direct;
    const issued = this.issuedTokens.get(token);
    if (!issued || issued.expiresAt < this.now()) return undefined;
    return this.state.channels.get(issued.channelId);
  }

  pictureUrl(p: Persona): string | undefined {
    return p.pictureVersion ? `${this.baseUrl}/__emulator/profile/${p.userId}/${p.pictureVersion}.png` : undefined;
  }

  createPersona(input: { displayName: string; statusMessage?: string; language?: string; pictureBase64?: string; pictureContentType?: string }): Persona {
    const p: Persona = {
      userId: newUserId(),
      displayName: input.displayName,
      statusMessage: input.statusMessage || undefined,
      language: input.language ?? "ja",
      createdAt: this.now(),
    };
    if (input.pictureBase64) setPicture(p, input.pictureBase64, input.pictureContentType);
    this.state.personas.set(p.userId, p);
    this.state.save();
    return p;
  }

  updatePersona(userId: string, patch: { displayName?: string; statusMessage?: string; pictureBase64?: string; pictureContentType?: string }): Persona {
    const p = this.persona(userId);
    if (patch.displayName !== undefined) p.displayName = patch.displayName;
    if (patch.statusMessage !== undefined) p.statusMessage = patch.statusMessage || undefined;
    if (patch.pictureBase64) setPicture(p, patch.pictureBase64, patch.pictureContentType);
    this.state.save();
    return p;
  }

  async follow(userId: string, channelId: string): Promise<UserAction> {
    this.persona(userId);
    this.channel(channelId);
    const before = this.state.friendship(channelId, userId);
    this.state.setFriendship(channelId, userId, "friend", this.now());
    return this.emit(channelId, followEvent(userId, this.now(), before?.status === "blocked"));
  }

  /** Blocking the OA is what LINE reports as `unfollow`. */
  async unfollow(userId: string, channelId: string): Promise<UserAction> {
    this.persona(userId);
    this.channel(channelId);
    this.state.setFriendship(channelId, userId, "blocked", this.now());
    return this.emit(channelId, unfollowEvent(userId, this.now()));
  }

  async sendMessage(userId: string, channelId: string, input: UserMessageInput): Promise<UserAction & { messageId: string }> {
    this.persona(userId);
    this.requireFriend(channelId, userId);
    const id = newMessageId();
    const message = { ...this.toMessageContent(id, input), markAsReadToken: this.readTokenFor(channelId, userId, id) };
    const at = this.now();
    this.state.addChat({ id, channelId, userId, from: "user", via: "webhook", at, message, delivered: true });
    const action = await this.emit(channelId, messageEvent(userId, at, message));
    return { ...action, messageId: id };
  }

  /** A tapped postback action; its `displayText` shows in the chat as the user's, but goes to the bot only as the postback. */
  async postback(userId: string, channelId: string, data: string, displayText?: string): Promise<UserAction> {
    this.requireFriend(channelId, userId);
    if (displayText) {
      this.state.addChat({ id: newMessageId(), channelId, userId, from: "user", via: "postback", at: this.now(), message: { type: "text", text: displayText }, delivered: true });
    }
    return this.emit(channelId, postbackEvent(userId, this.now(), data));
  }

  async unsend(userId: string, channelId: string, messageId: string): Promise<UserAction> {
    const entry = this.state.chat.find((e) => e.id === messageId && e.userId === userId && e.channelId === channelId && e.from === "user");
    if (!entry) throw new PlatformError(404, "No such message from this user");
    entry.unsent = true;
    this.state.content.delete(messageId);
    this.state.save();
    return this.emit(channelId, unsendEvent(userId, this.now(), messageId));
  }

  /** Records a push or reply; LINE accepts pushes to non-friends silently, so they are kept as undelivered. */
  deliverBotMessages(channel: ChannelState, userId: string, messages: Record<string, unknown>[], via: "push" | "reply") {
    const delivered = this.state.isFriend(channel.channelId, userId);
    return messages.map((m) => {
      const id = newMessageId();
      const { sender, ...message } = m as { sender?: ChatEntry["sender"] } & Record<string, unknown>;
      const entry: ChatEntry = { id, channelId: channel.channelId, userId, from: "bot", via, at: this.now(), message, sender, delivered };
      this.state.addChat(entry);
      if (message.type === "image") void this.downloadImage(entry, via);
      return { id, quoteToken: randomToken(32) };
    });
  }

  /**
   * As the LINE app does on showing an image message; after the push is answered, because the
   * bot's server may serve the image only once its own push call has returned.
   */
  private async downloadImage(entry: ChatEntry, via: "push" | "reply") {
    const media = await checkImageMessage(entry.message);
    entry.media = media;
    this.state.save();
    if (media.problems.length) {
      this.violations.push({ at: this.now(), method: "POST", path: `/v2/bot/message/${via}`, operation: "image message: LINE's media rules", errors: media.problems });
    }
  }

  /** Takes a reply token for use: single use, one minute. */
  consumeReplyToken(channelId: string, token: string): ReplyTokenState | undefined {
    const t = this.replyTokens.get(token);
    if (!t || t.used || t.channelId !== channelId || this.now() - t.issuedAt > REPLY_TOKEN_TTL_MS) return undefined;
    t.used = true;
    return t;
  }

  acceptedRetry(channelId: string, key: string) {
    const hit = this.retryKeys.get(`${channelId}:${key}`);
    return hit && this.now() - hit.at < RETRY_KEY_TTL_MS ? hit : undefined;
  }

  rememberRetry(channelId: string, key: string, requestId: string, sentMessages: { id: string; quoteToken: string }[]) {
    this.retryKeys.set(`${channelId}:${key}`, { requestId, sentMessages, at: this.now() });
  }

  /** When the LINE app started and will end the bot's loading animation in a chat (`channelId:userId`). */
  readonly loading = new Map<string, { from: number; until: number }>();

  showLoading(channelId: string, userId: string, seconds: number) {
    this.loading.set(`${channelId}:${userId}`, { from: this.now(), until: this.now() + seconds * 1000 });
  }

  /** LINE ends the animation when its time is up or a bot message arrives. */
  isLoading(channelId: string, userId: string): boolean {
    const l = this.loading.get(`${channelId}:${userId}`);
    if (!l || l.until <= this.now()) return false;
    return !this.state.conversation(channelId, userId).some((e) => e.from === "bot" && e.at >= l.from);
  }

  private readTokenFor(channelId: string, userId: string, messageId: string): string {
    const token = randomToken(32);
    this.readTokens.set(token, { channelId, userId, messageId });
    return token;
  }

  /** POST /v2/bot/chat/markAsRead: the user's messages up to the token's one show "Read". */
  markAsRead(channelId: string, token: string): boolean {
    const t = this.readTokens.get(token);
    if (!t || t.channelId !== channelId) return false;
    const upTo = this.state.chat.find((e) => e.id === t.messageId);
    for (const e of this.state.conversation(channelId, t.userId)) if (e.from === "user" && upTo && e.at <= upTo.at) e.read = true;
    this.state.save();
    return true;
  }

  recordRequest(r: ApiRequest) {
    this.requests.push(r);
    if (this.requests.length > REQUEST_LOG_SIZE) this.requests.splice(0, this.requests.length - REQUEST_LOG_SIZE);
  }

  addFault(path: string, status: number, times: number) {
    this.faults.push({ path, status, times });
  }

  /** The status an armed fault forces on this request path, if any (each use counts down). */
  takeFault(path: string): number | undefined {
    const f = this.faults.find((x) => x.times > 0 && path === x.path);
    if (!f) return undefined;
    f.times -= 1;
    if (f.times === 0) this.faults.splice(this.faults.indexOf(f), 1);
    return f.status;
  }

  addHold(path: string, times: number) {
    this.holds.push({ path, times });
  }

  /** Waits here while an armed hold on this path keeps the request (each use counts down). */
  async waitIfHeld(path: string): Promise<void> {
    // "/v2/bot/message/*" holds any path under it (content paths carry the message id).
    const h = this.holds.find((x) => x.times > 0 && (x.path.endsWith("*") ? path.startsWith(x.path.slice(0, -1)) : path === x.path));
    if (!h) return;
    h.times -= 1;
    if (h.times === 0) this.holds.splice(this.holds.indexOf(h), 1);
    await new Promise<void>((resolve) => this.held.add(resolve));
  }

  /** How many requests are being held now. */
  heldCount(): number {
    return this.held.size;
  }

  /** Answers every held request and disarms the remaining holds; returns how many were held. */
  releaseHolds(): number {
    const n = this.held.size;
    for (const resolve of this.held) resolve();
    this.held.clear();
    this.holds.length = 0;
    return n;
  }

  private requireFriend(channelId: string, userId: string) {
    this.channel(channelId);
    if (!this.state.isFriend(channelId, userId)) throw new PlatformError(409, "The user is not a friend of this account (follow it first)");
  }

  private async emit(channelId: string, event: WebhookEvent): Promise<UserAction> {
    if (event.replyToken) {
      this.replyTokens.set(event.replyToken, { channelId, userId: event.source.userId, issuedAt: this.now(), used: false });
    }
    const delivery = await this.webhooks.send(channelId, [event]);
    return { event, delivery };
  }

  private toMessageContent(id: string, input: UserMessageInput): Record<string, unknown> {
    switch (input.type) {
      case "text":
        return { type: "text", id, quoteToken: randomToken(32), text: input.text, ...(input.emojis ? { emojis: input.emojis } : {}) };
      case "sticker":
        return { type: "sticker", id, quoteToken: randomToken(32), packageId: input.packageId, stickerId: input.stickerId, stickerResourceType: "STATIC" };
      case "location":
        return { type: "location", id, title: input.title, address: input.address, latitude: input.latitude, longitude: input.longitude };
      case "file": {
        const size = Buffer.from(input.contentBase64, "base64").length;
        this.state.content.set(id, { contentType: input.contentType, base64: input.contentBase64, fileName: input.fileName });
        return { type: "file", id, fileName: input.fileName ?? "file", fileSize: size };
      }
      default: {
        this.state.content.set(id, { contentType: input.contentType, base64: input.contentBase64, fileName: input.fileName });
        const media: Record<string, unknown> = { type: input.type, id, contentProvider: { type: "line" } };
        if (input.type !== "audio") media.quoteToken = randomToken(32);
        if (input.type !== "image") media.duration = 1000;
        return media;
      }
    }
  }
}

function setPicture(p: Persona, base64: string, contentType = "image/png") {
  p.picture = { base64, contentType };
  p.pictureVersion = (p.pictureVersion ?? 0) + 1;
}
