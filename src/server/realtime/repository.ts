import type { Queryable } from "../db/database.ts";
import { prepared } from "../db/prepared.ts";

export interface RealtimeEventRow {
  id: number;
  type: string;
  data: unknown;
}

export interface Recipient {
  tenantId: string;
  memberId: string;
}

// One sequencer at a time moves the outbox into realtime_events (any bigint; unique in the codebase).
const SEQUENCER_LOCK = 727_008;

export const realtimeRepository = {
  /** One outbox row per recipient who is a member of the tenant; returns the recipients written. */
  async insertOutbox(tx: Queryable, ev: { tenantId: string; memberIds: readonly string[]; type: string; data: unknown }) {
    const rows = await tx.query<{ member_id: string }>(
      `INSERT INTO realtime_outbox (tenant_id, member_id, type, data)
       SELECT m.tenant_id, m.id, $3, $4::jsonb FROM members m
       WHERE m.tenant_id = $1 AND m.id = ANY($2::uuid[])
       ORDER BY m.id
       RETURNING member_id`,
      [ev.tenantId, [...ev.memberIds], ev.type, JSON.stringify(ev.data ?? null)],
    );
    return rows.map((r) => r.member_id);
  },

  /** insertOutbox for many events in one statement, in their order; returns how many rows it wrote. */
  async insertOutboxMany(tx: Queryable, evs: readonly { tenantId: string; memberIds: readonly string[]; type: string; data: unknown }[]): Promise<number> {
    const rows = evs.flatMap((ev, i) => ev.memberIds.map((memberId) => ({ i, tenant_id: ev.tenantId, member_id: memberId, type: ev.type, data: ev.data ?? null })));
    const written = await tx.query(
      prepared(`INSERT INTO realtime_outbox (tenant_id, member_id, type, data)
       SELECT m.tenant_id, m.id, x.type, x.data
       FROM jsonb_to_recordset($1::jsonb) AS x(i int, tenant_id uuid, member_id uuid, type text, data jsonb)
       JOIN members m ON m.tenant_id = x.tenant_id AND m.id = x.member_id
       ORDER BY x.i, m.id
       RETURNING 1`),
      [JSON.stringify(rows)],
    );
    return written.length;
  },

  /**
   * Moves the oldest outbox rows into realtime_events, in outbox order, under a lock held to the
   * end of the caller's transaction: ids are given out and committed by one sequencer at a time.
   * Returns the members who got events.
   */
  async sequence(tx: Queryable, limit: number): Promise<string[]> {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [SEQUENCER_LOCK]);
    const rows = await tx.query<{ member_id: string }>(
      prepared(`WITH moved AS (
         DELETE FROM realtime_outbox WHERE id IN (SELECT id FROM realtime_outbox ORDER BY id LIMIT $1) RETURNING *)
       INSERT INTO realtime_events (tenant_id, member_id, type, data, created_at)
       SELECT tenant_id, member_id, type, data, created_at FROM moved ORDER BY id
       RETURNING member_id`),
      [limit],
    );
    return rows.map((r) => r.member_id);
  },

  async eventsAfter(db: Queryable, r: Recipient, afterId: number, limit: number): Promise<RealtimeEventRow[]> {
    return db.query<RealtimeEventRow>(
      prepared(`SELECT id, type, data FROM realtime_events
       WHERE member_id = $2 AND tenant_id = $1 AND id > $3
       ORDER BY id LIMIT $4`),
      [r.tenantId, r.memberId, afterId, limit],
    );
  },

  /** Where a subscription can start: the member's newest event, and the newest id pruning removed. */
  async startPoint(db: Queryable, r: Recipient): Promise<{ latest: number; prunedThrough: number }> {
    const [row] = await db.query<{ latest: number; pruned_through: number }>(
      `SELECT coalesce((SELECT max(id) FROM realtime_events WHERE member_id = $2 AND tenant_id = $1), 0) AS latest,
              coalesce((SELECT through_id FROM realtime_pruned WHERE member_id = $2), 0) AS pruned_through`,
      [r.tenantId, r.memberId],
    );
    return { latest: row!.latest, prunedThrough: row!.pruned_through };
  },

  /** The newest event id of each of these members that has any. */
  async latestIds(db: Queryable, memberIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await db.query<{ member_id: string; id: number }>(
      "SELECT member_id, max(id) AS id FROM realtime_events WHERE member_id = ANY($1::uuid[]) GROUP BY member_id",
      [[...memberIds]],
    );
    return new Map(rows.map((r) => [r.member_id, r.id]));
  },

  async prune(db: Queryable, before: Date): Promise<number> {
    const [row] = await db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM realtime_events WHERE created_at < $1 RETURNING member_id, id),
       mark AS (
         INSERT INTO realtime_pruned (member_id, through_id) SELECT member_id, max(id) FROM gone GROUP BY member_id
         ON CONFLICT (member_id) DO UPDATE SET through_id = greatest(realtime_pruned.through_id, excluded.through_id)
       )
       SELECT count(*)::int AS n FROM gone`,
      [before],
    );
    return row?.n ?? 0;
  },
};
