import type { Queryable } from "../db/database.ts";
import { realtimeRepository as repo } from "./repository.ts";

export const REALTIME_RETENTION_MS = 24 * 60 * 60_000;

/**
 * Deletes events older than the retention and returns how many went. Browsers that were away
 * longer than that get a `reset` when they come back. Schedule it; hourly is plenty.
 */
export async function pruneRealtimeEvents(db: Queryable, opts: { now: Date; retentionMs?: number }): Promise<number> {
  return repo.prune(db, new Date(opts.now.getTime() - (opts.retentionMs ?? REALTIME_RETENTION_MS)));
}
