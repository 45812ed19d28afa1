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
