import { AuditLog } from "../features/admin/audit-log.tsx";

/** Admin → Audit log. */
export function AdminAuditPage() {
  return (
    <div className="page admin-audit-page">
      <AuditLog />
    </div>
  );
}
