import crypto from "node:crypto";
import type { Logger } from "pino";
import type { Database, Queryable } from "../db/database.ts";
import { sniffImage } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";
import { z } from "zod";
import { defineJob, enqueue } from "../jobs/queue.ts";
import type { ChannelService } from "./channels.ts";
import type { HandlerRegistry, LineEventContext } from "./handlers.ts";
import type { LineProfile } from "./client.ts";
import { lineRepository as repo, type ChannelRow, type LineUserRow } from "./repository.ts";

export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
const SWEEP_EVERY_MS = 3600_000;
const SWEEP_BATCH = 200;
const FETCH_TIMEOUT_MS = 10_000;
/** LINE answers a profile call in tens of milliseconds; a follow's transaction does not wait longer than this for it. */
const FOLLOW_PROFILE_DEADLINE_MS = 3_000;
/** A queued sync that has not stored an answer after this long is taken as lost, and may be queued again. */
const SYNC_CLAIM_MS = 5 * 60_000;

export class AvatarRefused extends Error {}

export interface ProfileSyncDeps {
  channels: ChannelService;
  handlers: HandlerRegistry;
  files: FileStore;
  log: Logger;
  clock: () => Date;
  /** The sweep's age: every friend's profile is fetched again once older than this. */
  maxAgeMs: number;
  /** Activity's age: an event or a member looking refreshes a profile older than this. */
  refreshMs: number;
  /**
   * Where pictures may come from (LINE_PICTURE_HOSTS, plus the emulator's origin in emulator
   * mode): host names, fetched over HTTPS on the default port only, or whole origins.
   */
  pictureHosts: () => readonly string[];
}

/** Nothing outside the allow-list is ever fetched, so a profile cannot point the server anywhere (no SSRF). */
export function isAllowedAvatarUrl(raw: string, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return allowed.some((entry) =>
    entry.includes("://") ? URL.canParse(entry) && new URL(entry).origin === url.origin : url.protocol === "https:" && !url.port && url.hostname === entry.toLowerCase(),
  );
}

/** Fetches an avatar: allow-listed hosts only, no redirects, ≤ 5 MB, and it must really be an image. */
export async function fetchAvatar(url: string, allowed: readonly string[]) {
  if (!isAllowedAvatarUrl(url, allowed)) throw new AvatarRefused(`avatar host not allowed: ${new URL(url).host}`);
  const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (res.status !== 200) throw new AvatarRefused(`avatar fetch answered ${res.status}`);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > AVATAR_MAX_BYTES) throw new AvatarRefused(`avatar of ${declared} bytes is too large`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  for (let r = await reader?.read(); reader && r && !r.done; r = await reader.read()) {
    size += r.value.length;
    if (size > AVATAR_MAX_BYTES) {
      await reader.cancel();
      throw new AvatarRefused("avatar larger than 5 MB");
    }
    chunks.push(r.value);
  }
  const bytes = new Uint8Array(Buffer.concat(chunks));
  const type = await sniffImage(bytes);
  if (!type) throw new AvatarRefused("avatar is not a PNG, JPEG or GIF");
  return { bytes, type };
}

const EXT = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" } as const;

export function createProfileSync(deps: ProfileSyncDeps) {
  const { channels, handlers, files, log, clock, maxAgeMs, refreshMs } = deps;
  const isStale = (u: LineUserRow, now: Date) => !u.synced_at || now.getTime() - u.synced_at.getTime() >= refreshMs;

  async function queueSync(tx: Queryable, lineUser: LineUserRow) {
    // One queued sync per user until it has run, however many events (or looks) arrive meanwhile:
    // a burst costs LINE one profile call.
    if (await repo.requestSync(tx, lineUser.id, clock(), SYNC_CLAIM_MS)) {
      await enqueue(tx, profileJob, { lineUserId: lineUser.id }, { orderingKey: `profile:${lineUser.id}` });
    }
  }

  /** Asks LINE for the profile (null: blocked or left); no transaction needs to be open meanwhile. */
  async function fetchProfile(q: Queryable, channel: ChannelRow, lineUser: LineUserRow, deadlineMs?: number) {
    return (await channels.clientFor(channel, q, { deadlineMs })).getProfile(lineUser.user_id);
  }

  /**
   * Fetches the profile now and stores it (see applyProfile), inside the caller's transaction: a
   * follow wants the name and language before its card goes out. LINE gets FOLLOW_PROFILE_DEADLINE_MS
   * to answer, since the transaction (on PGlite the only connection) waits meanwhile; the caller
   * queues a later sync when it does not.
   */
  async function syncNow(tx: Queryable, channel: ChannelRow, lineUser: LineUserRow): Promise<LineUserRow> {
    return applyProfile(tx, channel, lineUser, await fetchProfile(tx, channel, lineUser, FOLLOW_PROFILE_DEADLINE_MS));
  }

  /**
   * Stores a fetched profile. Returns the updated row; tells the registered `profileChanged`
   * handlers when something visible changed, and queues the avatar download.
   */
  async function applyProfile(
    tx: Queryable,
    channel: ChannelRow,
    lineUser: LineUserRow,
    profile: LineProfile | undefined,
  ): Promise<LineUserRow> {
    const now = clock();
    if (!profile) {
      // 404: blocked or left. The unfollow event records that; here only note that we asked.
      await repo.markSynced(tx, lineUser.id, now);
      return { ...lineUser, synced_at: now };
    }
    const after = await repo.saveProfile(
      tx,
      lineUser.id,
      { display_name: profile.displayName, picture_url: profile.pictureUrl, status_message: profile.statusMessage, language: profile.language },
      now,
    );
    const changed =
      after.display_name !== lineUser.display_name ||
      after.picture_url !== lineUser.picture_url ||
      after.status_message !== lineUser.status_message ||
      after.language !== lineUser.language;
    if (after.picture_url && (after.picture_url !== lineUser.picture_url || !after.picture_file_key)) {
      await enqueue(tx, avatarJob, { lineUserId: after.id, pictureUrl: after.picture_url }, { orderingKey: `avatar:${after.id}` });
    }
    if (changed) {
      const ctx: LineEventContext = { tx, channel, lineUser: after, log };
      await handlers.profileChanged(ctx, { before: lineUser, after });
    }
    return after;
  }

  /**
   * LINE is asked outside any transaction, so a slow LINE holds no database connection (PGlite
   * has one); the answer is then stored against the row as it is by then.
   */
  const profileJob = defineJob({
    kind: "line.profile",
    payload: z.object({ lineUserId: z.uuid() }),
    outsideTransaction: true,
    async run({ lineUserId }, { db }) {
      const user = await repo.lineUser(db, lineUserId);
      if (!user) return;
      if (user.follow_state === "blocked" || !isStale(user, clock())) return repo.clearSyncRequest(db, lineUserId);
      const channel = (await repo.channel(db, user.channel_id))!;
      const profile = await fetchProfile(db, channel, user);
      await db.transaction(async (tx) => {
        const current = await repo.lockLineUser(tx, lineUserId);
        if (current) await applyProfile(tx, channel, current, profile);
      });
    },
  });

  /** The download holds no transaction; the one write is conditional on the URL (setPictureFile). */
  const avatarJob = defineJob({
    kind: "line.avatar",
    payload: z.object({ lineUserId: z.uuid(), pictureUrl: z.string() }),
    outsideTransaction: true,
    async run({ lineUserId, pictureUrl }, { db }) {
      const user = await repo.lineUser(db, lineUserId);
      if (!user || user.picture_url !== pictureUrl) return; // a newer profile superseded this picture
      let key: string;
      try {
        const { bytes, type } = await fetchAvatar(pictureUrl, deps.pictureHosts());
        const digest = crypto.createHash("sha256").update(pictureUrl).digest("hex").slice(0, 24);
        key = `line-avatars/${user.id}/${digest}.${EXT[type]}`;
        await files.put(key, bytes);
      } catch (err) {
        // A refused picture will not get better by retrying; keep the previous cached one.
        if (err instanceof AvatarRefused) return void log.warn({ lineUserId, reason: err.message }, "avatar not cached");
        throw err;
      }
      await db.transaction(async (tx) => {
        const before = await repo.lockLineUser(tx, lineUserId);
        if (!before || before.picture_url !== pictureUrl || before.picture_file_key === key) return;
        await repo.setPictureFile(tx, lineUserId, pictureUrl, key);
        // The cached picture is what members see: rooms and contacts learn of it like any profile change.
        const after = { ...before, picture_file_key: key };
        const channel = (await repo.channel(tx, after.channel_id))!;
        const ctx: LineEventContext = { tx, channel, lineUser: after, log };
        await handlers.profileChanged(ctx, { before, after });
      });
    },
  });

  /** Hourly, a batch at a time (LINE's profile rate stays far away): profiles older than LINE_PROFILE_MAX_AGE_HOURS. */
  const sweepJob = defineJob({
    kind: "line.profile-sweep",
    payload: z.object({}),
    everyMs: SWEEP_EVERY_MS,
    async run(_, { tx }) {
      const stale = await repo.staleLineUsers(tx, new Date(clock().getTime() - maxAgeMs), SWEEP_BATCH);
      for (const u of stale) await queueSync(tx, u);
    },
  });

  return {
    jobs: [profileJob, avatarJob, sweepJob],
    syncNow,
    isStale,
    /**
     * LINE Login's ID token carries the name and picture LINE holds at that moment: applied as a
     * fresh profile (the status message and language stay until the next profile call).
     */
    async applyLoginProfile(tx: Queryable, channel: ChannelRow, lineUser: LineUserRow, claims: { displayName: string | null; pictureUrl: string | null }) {
      if (!claims.displayName) return lineUser;
      const profile: LineProfile = {
        userId: lineUser.user_id,
        displayName: claims.displayName,
        pictureUrl: claims.pictureUrl,
        statusMessage: lineUser.status_message,
        language: lineUser.language,
      };
      return applyProfile(tx, channel, lineUser, profile);
    },
    /** Queues a sync when the stored profile is older than LINE_PROFILE_REFRESH_SECONDS. */
    async syncIfStale(tx: Queryable, lineUser: LineUserRow) {
      if (lineUser.follow_state !== "blocked" && isStale(lineUser, clock())) await queueSync(tx, lineUser);
    },
    /**
     * Whether syncIfStale would write anything for this row (locked by the caller): the set-based
     * drain takes an event only when it would not, a stale profile whose sync is already queued included.
     */
    syncWouldQueue(lineUser: LineUserRow): boolean {
      const now = clock();
      const claimed = lineUser.sync_requested_at !== null && lineUser.sync_requested_at.getTime() >= now.getTime() - SYNC_CLAIM_MS;
      return lineUser.follow_state !== "blocked" && isStale(lineUser, now) && !claimed;
    },
    /**
     * A member opened a room or contact of this LINE user: a stale profile is refreshed in the
     * background, and the change reaches their screen through the real-time stream.
     */
    async refreshOnView(db: Database, lineUserId: string) {
      await db.transaction(async (tx) => {
        const user = await repo.lineUser(tx, lineUserId);
        if (user && user.follow_state !== "blocked" && isStale(user, clock())) await queueSync(tx, user);
      });
    },
    /** The cached avatar bytes of a LINE user, if one was fetched. */
    async avatar(lineUser: LineUserRow) {
      if (!lineUser.picture_file_key) return undefined;
      const bytes = await files.get(lineUser.picture_file_key);
      const type = bytes && (await sniffImage(bytes));
      return bytes && type ? { bytes, type } : undefined;
    },
  };
}

export type ProfileSync = ReturnType<typeof createProfileSync>;
