import crypto from "node:crypto";
import type { Queryable } from "../db/database.ts";

/**
 * Which members have a web app open, across instances: each open event stream keeps a row fresh
 * with its heartbeat. A row not refreshed for STALE_AFTER_MS belongs to a stream that ended
 * without saying so (a killed instance) and no longer counts.
 */
export const STALE_AFTER_MS = 60_000;

export const livePresence = {
  async open(db: Queryable, memberId: string, at: Date): Promise<string> {
    const id = crypto.randomUUID();
    await db.query("INSERT INTO live_streams (id, member_id, seen_at) VALUES ($1, $2, $3)", [id, memberId, at]);
    return id;
  },

  async touch(db: Queryable, id: string, at: Date) {
    await db.query("UPDATE live_streams SET seen_at = $2 WHERE id = $1", [id, at]);
  },

  async close(db: Queryable, id: string) {
    await db.query("DELETE FROM live_streams WHERE id = $1", [id]);
  },

  async isLive(db: Queryable, memberId: string, now: Date): Promise<boolean> {
    const rows = await db.query("SELECT 1 FROM live_streams WHERE member_id = $1 AND seen_at > $2 LIMIT 1", [memberId, new Date(now.getTime() - STALE_AFTER_MS)]);
    return rows.length > 0;
  },

  /** Rows of streams that ended without closing (a killed instance), kept from piling up. */
  async prune(db: Queryable, now: Date) {
    await db.query("DELETE FROM live_streams WHERE seen_at < $1", [new Date(now.getTime() - 10 * STALE_AFTER_MS)]);
  },
};
