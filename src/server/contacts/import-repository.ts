import type { FieldError } from "../../shared/problems.ts";
import type { Queryable } from "../db/database.ts";

export interface SkippedCard {
  index: number;
  name: string;
  errors: string[];
  problems: FieldError[];
}

export interface ContactImportRow {
  id: string;
  tenant_id: string;
  member_id: string;
  total: number;
  done: number;
  failed: number;
  report: SkippedCard[];
  state: "running" | "finished" | "failed";
  created_at: Date;
  finished_at: Date | null;
}

// Every column but the uploaded text, which only the import's own chunks read.
const COLUMNS = "id, tenant_id, member_id, total, done, failed, report, state, created_at, finished_at";

/** SQL of contact_imports (migrations 0013, 0024). */
export const contactImportRepository = {
  async create(tx: Queryable, r: { tenantId: string; memberId: string; source: string; total: number; at: Date }): Promise<ContactImportRow> {
    const [row] = await tx.query<ContactImportRow>(
      `INSERT INTO contact_imports (tenant_id, member_id, source, total, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${COLUMNS}`,
      [r.tenantId, r.memberId, r.source, r.total, r.at],
    );
    return row!;
  },

  /** The member's own import: nobody else sees what was in someone's file. */
  async ofMember(db: Queryable, tenantId: string, memberId: string, id: string): Promise<ContactImportRow | undefined> {
    const [row] = await db.query<ContactImportRow>(`SELECT ${COLUMNS} FROM contact_imports WHERE id = $1 AND tenant_id = $2 AND member_id = $3`, [
      id,
      tenantId,
      memberId,
    ]);
    return row;
  },

  /** Where a running import stands, with its text: read before a chunk is parsed. */
  async position(db: Queryable, id: string): Promise<{ done: number; source: string } | undefined> {
    const [row] = await db.query<{ done: number; source: string }>("SELECT done, source FROM contact_imports WHERE id = $1 AND state = 'running'", [id]);
    return row;
  },

  /** The import, locked for the rest of the chunk's transaction. */
  async lock(tx: Queryable, id: string): Promise<ContactImportRow | undefined> {
    const [row] = await tx.query<ContactImportRow>(`SELECT ${COLUMNS} FROM contact_imports WHERE id = $1 FOR UPDATE`, [id]);
    return row;
  },

  /** Ends a running import short of its last card; its uploaded text goes. Undefined when it had ended already. */
  async fail(db: Queryable, id: string, at: Date): Promise<ContactImportRow | undefined> {
    const [row] = await db.query<ContactImportRow>(
      `UPDATE contact_imports SET state = 'failed', finished_at = $2, updated_at = $2, source = NULL
       WHERE id = $1 AND state = 'running' RETURNING ${COLUMNS}`,
      [id, at],
    );
    return row;
  },

  /** Records a chunk; the last one drops the uploaded text. */
  async advance(tx: Queryable, id: string, c: { done: number; skipped: SkippedCard[]; finished: boolean; at: Date }): Promise<ContactImportRow> {
    const [row] = await tx.query<ContactImportRow>(
      `UPDATE contact_imports SET done = $2, failed = failed + $3, report = report || $4::jsonb, updated_at = $6,
         state = CASE WHEN $5 THEN 'finished' ELSE state END,
         finished_at = CASE WHEN $5 THEN $6::timestamptz END,
         source = CASE WHEN $5 THEN NULL ELSE source END
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, c.done, c.skipped.length, JSON.stringify(c.skipped), c.finished, c.at],
    );
    return row!;
  },
};
