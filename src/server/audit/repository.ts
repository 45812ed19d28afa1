import type { Queryable } from "../db/database.ts";

export interface AuditRow {
  id: number;
  created_at: Date;
  actor_member_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  /** The name as it is now of a contact or member target; null once the contact is gone for good. */
  target_name: string | null;
  /** The members' names when the detail names members by id as `from`/`to` (an owner change). */
  from_name: string | null;
  to_name: string | null;
  detail: Record<string, unknown>;
}

export interface AuditSearch {
  tenantId: string;
  /** Matched (ILIKE) against the actor's name, the action, the target id and the detail; already LIKE-escaped. */
  text?: string;
  /** The same words folded like contacts.search_text (NFKC, lower case, kana), matched against the contact's name. */
  foldedText?: string;
  /** An exact action, or a family: `contact` matches `contact.*`. */
  action?: string;
  /** A target type (`contact`) or one target's id. */
  target?: string;
  from?: string;
  to?: string;
  /** Keyset: entries with a smaller id (older) than this. */
  beforeId?: number;
  limit: number;
}

// Audit ids are text (a target may be any kind of thing); only contact targets are uuids of contacts,
// and the CASE keeps the cast away from every other kind.
const contactOf = "(CASE WHEN l.target_type = 'contact' THEN l.target_id END)::uuid";

/**
 * The name a contact is listed under (contactLabel in src/shared/contacts.ts): family and given name
 * (Korean ones without a space), nickname, e-mail, phone.
 */
const contactNameSql = `coalesce(nullif(concat_ws(
    CASE WHEN c.last_name ~ '^[가-힣]+$' AND c.first_name ~ '^[가-힣]+$' THEN '' ELSE ' ' END,
    nullif(c.last_name, ''), nullif(c.first_name, '')), ''),
  nullif(c.nick_name, ''), c.emails->0->>'email', c.telephones->0->>'telephone')`;

/** A member of the entry's company by an id held as text (targets and details are text; no cast can fail). */
const memberName = (idText: string) =>
  `(SELECT n.display_name FROM members n WHERE n.tenant_id = l.tenant_id AND n.id::text = ${idText})`;

export const auditRepository = {
  /** Newest first. */
  async search(db: Queryable, s: AuditSearch): Promise<AuditRow[]> {
    return db.query<AuditRow>(
      `SELECT l.id, l.created_at, l.actor_member_id, m.display_name AS actor_name, l.action, l.target_type, l.target_id, l.detail,
         CASE WHEN l.target_type = 'member' THEN ${memberName("l.target_id")}
              ELSE (SELECT ${contactNameSql} FROM contacts c WHERE c.id = ${contactOf} AND c.tenant_id = l.tenant_id) END AS target_name,
         ${memberName("l.detail->>'from'")} AS from_name, ${memberName("l.detail->>'to'")} AS to_name
       FROM audit_log l LEFT JOIN members m ON m.id = l.actor_member_id
       WHERE l.tenant_id = $1
         AND ($2::text IS NULL OR m.display_name ILIKE '%' || $2 || '%' OR l.action ILIKE '%' || $2 || '%'
              OR l.target_id ILIKE '%' || $2 || '%' OR l.detail::text ILIKE '%' || $2 || '%'
              OR EXISTS (SELECT 1 FROM contacts c WHERE c.id = ${contactOf} AND c.tenant_id = l.tenant_id
                           AND c.search_text LIKE '%' || $3 || '%'))
         AND ($4::text IS NULL OR l.action = $4 OR l.action LIKE $4 || '.%')
         AND ($5::text IS NULL OR l.target_type = $5 OR l.target_id = $5)
         AND ($6::timestamptz IS NULL OR l.created_at >= $6)
         AND ($7::timestamptz IS NULL OR l.created_at < $7)
         AND ($8::bigint IS NULL OR l.id < $8)
       ORDER BY l.id DESC LIMIT $9`,
      [
        s.tenantId,
        s.text ?? null,
        s.foldedText ?? s.text ?? null,
        s.action ?? null,
        s.target ?? null,
        s.from ?? null,
        s.to ?? null,
        s.beforeId ?? null,
        s.limit,
      ],
    );
  },
};
