import type { Queryable } from "../db/database.ts";

export interface AuditEntry {
  tenantId: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId?: string;
  detail?: object;
}

/** Written inside the caller's transaction, so an audited change and its record commit together. */
export async function writeAudit(db: Queryable, a: AuditEntry): Promise<void> {
  await db.query(
    "INSERT INTO audit_log (tenant_id, actor_member_id, action, target_type, target_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    [a.tenantId, a.actorId, a.action, a.targetType, a.targetId ?? null, JSON.stringify(a.detail ?? {})],
  );
}

/** Several entries in one statement, in order (a vCard import's cards): one round trip, not one per entry. */
export async function writeAudits(db: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  await db.query(
    `INSERT INTO audit_log (tenant_id, actor_member_id, action, target_type, target_id, detail)
     SELECT t, a, ac, tt, ti, d FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) WITH ORDINALITY AS u(t, a, ac, tt, ti, d, n)
     ORDER BY n`,
    [
      entries.map((a) => a.tenantId),
      entries.map((a) => a.actorId),
      entries.map((a) => a.action),
      entries.map((a) => a.targetType),
      entries.map((a) => a.targetId ?? null),
      entries.map((a) => JSON.stringify(a.detail ?? {})),
    ],
  );
}
