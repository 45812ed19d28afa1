import type { Database, Unlisten } from "../db/database.ts";

/** The channel migration 0025's triggers notify on any change to sessions, members or tenants. */
export const AUTH_CHANNEL = "tsunagu_auth";

export interface AuthCacheOptions<T> {
  db: Database;
  clock: () => Date;
  /** When a cached sign-in's session ends (the cache never answers past it). */
  expiresAt: (value: T) => Date;
  /** An upper bound on how long an entry is trusted, should a notification ever go astray. */
  ttlMs?: number;
  maxEntries?: number;
}

/**
 * The signed-in state of recent sessions, so that a request costs no database round trip just to
 * learn who sent it (issue 13: `GET /me` was one indexed query and ran at 0.05 of the bare
 * handler, bound by that round trip's two system calls). Revocation still applies to the next
 * request:
 * - a write in this process calls `invalidate()` once it has committed, before it answers;
 * - a write anywhere else (another instance, the admin CLI, psql) fires migration 0025's
 *   triggers, whose notification empties every process's cache;
 * - while the listening connection is down nothing is served from the cache (notifications could
 *   be missed), and it starts empty again when the connection is back;
 * - a lookup that was under way when an invalidation came is not kept: it may have read the
 *   state from before the change.
 */
export function createAuthCache<T>({ db, clock, expiresAt, ttlMs = 10_000, maxEntries = 10_000 }: AuthCacheOptions<T>) {
  const entries = new Map<string, { value: T; until: number }>();
  let generation = 0;
  let listening = false;
  let unlisten: Unlisten | undefined;

  const invalidate = () => {
    generation++;
    entries.clear();
  };

  return {
    async start() {
      unlisten = await db.listen(
        AUTH_CHANNEL,
        invalidate,
        () => {
          invalidate();
          listening = true;
        },
        () => {
          listening = false;
          invalidate();
        },
      );
      listening = true;
    },

    /** The cached value for `key`, or what `load` reads (kept when nothing changed meanwhile). */
    async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
      const now = clock().getTime();
      const hit = listening ? entries.get(key) : undefined;
      if (hit && hit.until > now && expiresAt(hit.value).getTime() > now) return hit.value;
      if (hit) entries.delete(key);
      const seen = generation;
      const value = await load();
      if (value !== undefined && listening && seen === generation) {
        // Oldest first out: Map keeps insertion order.
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(key, { value, until: now + ttlMs });
      }
      return value;
    },

    invalidate,

    async stop() {
      listening = false;
      invalidate();
      await unlisten?.();
    },
  };
}

export type AuthCache<T> = ReturnType<typeof createAuthCache<T>>;
