import type { ImageMediaCheck } from "./api/image-media.ts";
import fs from "node:fs";
import path from "node:path";
import { botUserIdFor } from "./ids.ts";

export interface EmulatorChannel {
  channelId: string;
  channelSecret: string;
  accessToken: string;
  basicId: string;
  botName: string;
  loginChannelId: string;
  loginChannelSecret: string;
  webhookUrl?: string;
}

export interface DeliverySettings {
  redelivery: boolean;
  duplicate: boolean;
  reorder: boolean;
  batch: boolean;
}

export interface ChannelState extends EmulatorChannel {
  botUserId: string;
  webhookActive: boolean;
  delivery: DeliverySettings;
}

export interface Persona {
  userId: string;
  displayName: string;
  statusMessage?: string;
  language?: string;
  /** Bumped on every new photo so pictureUrl changes like LINE's CDN URLs do. */
  pictureVersion?: number;
  picture?: { contentType: string; base64: string };
  createdAt: number;
}

export interface Friendship {
  channelId: string;
  userId: string;
  status: "friend" | "blocked";
  since: number;
}

/** One line of a 1:1 conversation, as the LINE app would show it. */
export interface ChatEntry {
  id: string;
  channelId: string;
  userId: string;
  from: "user" | "bot";
  /**
   * How it arrived: the user's messages go out as webhooks (a tapped postback's displayText only
   * shows in the chat); the bot's come by push or reply.
   */
  via: "webhook" | "postback" | "push" | "reply";
  at: number;
  message: Record<string, unknown>;
  sender?: { name?: string; iconUrl?: string };
  /** False when LINE accepted a push the user never sees (not a friend, or blocked). */
  delivered: boolean;
  unsent?: boolean;
  /** A user's message the bot marked read (markAsRead): the LINE app shows "Read" beside it. */
  read?: boolean;
  /** A bot's image message: what the LINE app downloaded from its two URLs (api/image-media.ts). */
  media?: ImageMediaCheck;
}

export interface StoredContent {
  contentType: string;
  base64: string;
  fileName?: string;
}

interface Snapshot {
  channels: ChannelState[];
  personas: Persona[];
  friendships: Friendship[];
  chat: ChatEntry[];
  content: Record<string, StoredContent>;
}

const DEFAULT_DELIVERY: DeliverySettings = { redelivery: false, duplicate: false, reorder: false, batch: false };

/**
 * Everything the emulator knows. Durable parts (channels, personas, friendships, chat, content)
 * are snapshotted to a JSON file so personas survive a restart; tokens and faults are runtime only.
 */
export class EmulatorState {
  channels = new Map<string, ChannelState>();
  personas = new Map<string, Persona>();
  friendships = new Map<string, Friendship>();
  chat: ChatEntry[] = [];
  content = new Map<string, StoredContent>();
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly stateFile?: string) {
    if (stateFile && fs.existsSync(stateFile)) this.load(JSON.parse(fs.readFileSync(stateFile, "utf8")) as Snapshot);
  }

  private load(s: Snapshot) {
    for (const c of s.channels ?? []) this.channels.set(c.channelId, { ...c, delivery: { ...DEFAULT_DELIVERY, ...c.delivery } });
    for (const p of s.personas ?? []) this.personas.set(p.userId, p);
    for (const f of s.friendships ?? []) this.friendships.set(friendKey(f.channelId, f.userId), f);
    this.chat = s.chat ?? [];
    for (const [id, c] of Object.entries(s.content ?? {})) this.content.set(id, c);
  }

  registerChannel(ch: EmulatorChannel): ChannelState {
    const existing = this.channels.get(ch.channelId);
    const next: ChannelState = {
      ...ch,
      webhookUrl: ch.webhookUrl ?? existing?.webhookUrl,
      botUserId: botUserIdFor(ch.channelId),
      webhookActive: existing?.webhookActive ?? true,
      delivery: existing?.delivery ?? { ...DEFAULT_DELIVERY },
    };
    this.channels.set(ch.channelId, next);
    this.save();
    return next;
  }

  channelByToken(token: string): ChannelState | undefined {
    for (const c of this.channels.values()) if (c.accessToken === token) return c;
    return undefined;
  }

  channelByLoginId(loginChannelId: string): ChannelState | undefined {
    for (const c of this.channels.values()) if (c.loginChannelId === loginChannelId) return c;
    return undefined;
  }

  friendship(channelId: string, userId: string): Friendship | undefined {
    return this.friendships.get(friendKey(channelId, userId));
  }

  isFriend(channelId: string, userId: string): boolean {
    return this.friendship(channelId, userId)?.status === "friend";
  }

  setFriendship(channelId: string, userId: string, status: Friendship["status"], at: number) {
    this.friendships.set(friendKey(channelId, userId), { channelId, userId, status, since: at });
    this.save();
  }

  conversation(channelId: string, userId: string): ChatEntry[] {
    return this.chat.filter((e) => e.channelId === channelId && e.userId === userId);
  }

  addChat(entry: ChatEntry) {
    this.chat.push(entry);
    this.save();
  }

  /** Coalesces bursts of writes into one file write; flush() forces it (close, tests). */
  save() {
    if (!this.stateFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), 250);
    this.saveTimer.unref();
  }

  flush() {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.stateFile) return;
    const snapshot: Snapshot = {
      channels: [...this.channels.values()],
      personas: [...this.personas.values()],
      friendships: [...this.friendships.values()],
      chat: this.chat,
      content: Object.fromEntries(this.content),
    };
    fs.mkdirSync(path.dirname(this.stateFile), { recursive: true });
    const tmp = `${this.stateFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(snapshot));
    fs.renameSync(tmp, this.stateFile);
  }
}

const friendKey = (channelId: string, userId: string) => `${channelId}:${userId}`;

/**
 * LINE caps display names at 20 characters; the emulator allows more so tests can use longer
 * hostile names (markup, emoji sequences) without being cut.
 */
export const DISPLAY_NAME_MAX = 50;
