/**
 * Bulk-loads N generated contacts (bench/contacts-data.ts) into a tenant, the way a restore
 * would: secondary indexes of the contact tables are dropped, rows go in as multi-row
 * `INSERT … SELECT FROM unnest(…)` batches (one transaction each), and the same index
 * definitions are built again at the end, then ANALYZE. The rows are exactly the app's
 * (columns, search text, sort name, owner/access rows, tags, LINE users with their
 * friendship and room); only the order of work differs from N single `POST /contacts`.
 */
import type { Database, Queryable } from "../src/server/db/database.ts";
import { NO_MEMBER, tagKeys } from "../src/server/contacts/repository.ts";
import { foldForSearch } from "../src/server/search/normalize.ts";
import { makeContact, prng, type Owners, type SeedContact } from "./contacts-data.ts";

export interface SeedOptions {
  tenantId: string;
  owners: Owners;
  /** line_channels.id of the tenant's channel, for LINE-linked contacts. */
  channelId: string;
  count: number;
  seed: number;
  /** Timestamps are offsets back from here. */
  anchor: number;
  batchSize?: number;
  onProgress?: (done: number) => void;
}

export interface SeedResult {
  rows: number;
  /** Rows written to every table (contacts, access, tags, LINE users, friendships, rooms). */
  allRows: number;
  loadMs: number;
  indexMs: number;
  indexes: string[];
}

const CONTACT_TABLES = ["contacts", "contact_access", "contact_tags"];

/** Indexes that no constraint needs (primary keys stay), so they can be dropped and rebuilt. */
async function secondaryIndexes(db: Queryable) {
  return db.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
     ORDER BY c.relname`,
    [CONTACT_TABLES],
  );
}

/**
 * What 0014's triggers store for the contact (their trigger is off during the load, as
 * pg_restore --disable-triggers would have it): the tenant for ALL, then every member and team
 * id of its access rows in uuid order (lower-case hex sorts as the bytes do).
 */
function audienceOf(tenantId: string, c: SeedContact): string[] {
  const ids = [c.ownerId, ...c.shares.map((s) => s.memberId ?? s.teamId!)].sort();
  return [...(c.accessRange === "ALL" ? [tenantId] : []), ...ids];
}

/** What 0029's triggers store for the contact: the keys of its company tags and of its owner's own tags. */
function tagKeysOf(tenantId: string, c: SeedContact): string[] {
  return [...new Set([...c.companyTags.map((n) => tagKeys(tenantId, NO_MEMBER, n)[0]!), ...c.myTags.map((n) => tagKeys(tenantId, c.ownerId, n)[1]!)])];
}

/**
 * 0014's triggers, which keep `audience` and `owner_id`, and 0029's, which keep `tag_keys`: the
 * load writes them itself instead of a second pass over every contact.
 */
const DERIVED_TRIGGERS = [
  ["contacts", "contacts_audience"],
  ["contact_access", "contact_access_inserted"],
  ["contact_tags", "contact_tags_inserted"],
];

async function insertBatch(tx: Queryable, tenantId: string, channelId: string, batch: SeedContact[]) {
  const line = batch.filter((c) => c.line);
  if (line.length) {
    await tx.query(
      `INSERT INTO line_users (id, channel_id, user_id, display_name, search_name, follow_state, followed_at, synced_at, current_member_id)
       SELECT u.id, $1, u.user_id, u.display_name, u.search_name, 'followed', u.at, now(), u.member
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::uuid[]) AS u(id, user_id, display_name, search_name, at, member)`,
      [
        channelId,
        line.map((c) => c.line!.lineUserId),
        line.map((c) => c.line!.userId),
        line.map((c) => c.line!.displayName),
        line.map((c) => foldForSearch(c.line!.displayName)),
        line.map((c) => c.createdAt),
        line.map((c) => c.ownerId),
      ],
    );
    // The owner's room with the LINE user, as befriend() makes it.
    await tx.query(
      `WITH f AS (
         INSERT INTO friendships (tenant_id, member_id, line_user_id, via, created_at, updated_at)
         SELECT $1, u.member, u.line_user, 'link', u.at, u.at FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[]) AS u(member, line_user, at)
         RETURNING id, member_id, line_user_id, created_at)
       INSERT INTO rooms (tenant_id, member_id, line_user_id, friendship_id, created_at, last_activity_at)
       SELECT $1, member_id, line_user_id, id, created_at, created_at FROM f`,
      [tenantId, line.map((c) => c.ownerId), line.map((c) => c.line!.lineUserId), line.map((c) => c.createdAt)],
    );
  }
  const w = batch.map((c) => c.write);
  const json = (pick: (x: SeedContact["write"]) => unknown) => w.map((x) => JSON.stringify(pick(x)));
  await tx.query(
    `INSERT INTO contacts (id, tenant_id, line_user_id, last_name, first_name, phonetic_last_name, phonetic_first_name, nick_name,
       emails, telephones, organizations, addresses, websites, memo, search_text, search_digits, sort_name,
       access_range, co_editing, version, created_by, created_at, updated_at, deleted_at, deleted_by, owner_id, audience, tag_keys)
     SELECT u.id, $1, u.line_user_id, u.last_name, u.first_name, u.pl, u.pf, u.nick, u.emails::jsonb, u.phones::jsonb, u.orgs::jsonb,
       u.addresses::jsonb, u.websites::jsonb, u.memo, u.st, u.sd, u.sn, u.access, u.co, u.version, u.owner, u.created, u.updated,
       u.deleted, CASE WHEN u.deleted IS NOT NULL THEN u.owner END, u.owner, u.audience::uuid[], u.tag_keys::text[]
     FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
       $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::boolean[], $20::int[], $21::uuid[],
       $22::timestamptz[], $23::timestamptz[], $24::timestamptz[], $25::text[], $26::text[])
       AS u(id, line_user_id, last_name, first_name, pl, pf, nick, emails, phones, orgs, addresses, websites, memo, st, sd, sn, access, co,
         version, owner, created, updated, deleted, audience, tag_keys)`,
    [
      tenantId,
      batch.map((c) => c.id),
      batch.map((c) => c.line?.lineUserId ?? null),
      w.map((x) => x.last_name),
      w.map((x) => x.first_name),
      w.map((x) => x.phonetic_last_name),
      w.map((x) => x.phonetic_first_name),
      w.map((x) => x.nick_name),
      json((x) => x.emails),
      json((x) => x.telephones),
      json((x) => x.organizations),
      json((x) => x.addresses),
      json((x) => x.websites),
      w.map((x) => x.memo),
      w.map((x) => x.search_text),
      w.map((x) => x.search_digits),
      w.map((x) => x.sort_name),
      batch.map((c) => c.accessRange),
      batch.map((c) => c.coEditing),
      batch.map((c) => c.version),
      batch.map((c) => c.ownerId),
      batch.map((c) => c.createdAt),
      batch.map((c) => c.updatedAt),
      batch.map((c) => c.deletedAt),
      batch.map((c) => `{${audienceOf(tenantId, c).join(",")}}`),
      // Array literals, quoted: a tag name may hold commas, braces, quotes or spaces.
      batch.map((c) => `{${tagKeysOf(tenantId, c).map((k) => `"${k.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`),
    ],
  );
  const access = batch.flatMap((c) => [
    { contact: c.id, member: c.ownerId, team: null, owner: true },
    ...c.shares.map((s) => ({ contact: c.id, member: s.memberId ?? null, team: s.teamId ?? null, owner: false })),
  ]);
  await tx.query(
    `INSERT INTO contact_access (contact_id, member_id, team_id, is_owner)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::boolean[])`,
    [access.map((a) => a.contact), access.map((a) => a.member), access.map((a) => a.team), access.map((a) => a.owner)],
  );
  const tags = batch.flatMap((c) => [
    ...c.companyTags.map((name) => ({ contact: c.id, kind: "company", member: NO_MEMBER, name })),
    ...c.myTags.map((name) => ({ contact: c.id, kind: "mine", member: c.ownerId, name })),
  ]);
  if (tags.length) {
    await tx.query(
      `INSERT INTO contact_tags (contact_id, kind, member_id, name) SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[])`,
      [tags.map((t) => t.contact), tags.map((t) => t.kind), tags.map((t) => t.member), tags.map((t) => t.name)],
    );
  }
  return batch.length + line.length * 3 + access.length + tags.length;
}

export async function seedContacts(db: Database, o: SeedOptions): Promise<SeedResult> {
  return seedCompanies(db, [o], o);
}

/** One company's share of a bulk load; without a channel its contacts are not LINE-linked. */
export interface CompanySeed {
  tenantId: string;
  owners: Owners;
  channelId?: string;
  count: number;
  seed: number;
}

/**
 * Loads several companies' contacts with the secondary indexes dropped once and built once at the
 * end (the company-isolation bench: 20 companies on one database).
 */
export async function seedCompanies(db: Database, companies: CompanySeed[], o: Pick<SeedOptions, "anchor" | "batchSize" | "onProgress">): Promise<SeedResult> {
  const batchSize = o.batchSize ?? 2000;
  // The tenant's quota counts every contact; an operator raises it before such an import.
  for (const c of companies) await db.query("UPDATE tenants SET contact_quota = greatest(contact_quota, $2) WHERE id = $1", [c.tenantId, c.count * 2]);
  const indexes = await secondaryIndexes(db);
  for (const ix of indexes) await db.query(`DROP INDEX ${ix.name}`);
  for (const [table, trigger] of DERIVED_TRIGGERS) await db.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);

  const started = performance.now();
  let allRows = 0;
  let rows = 0;
  for (const company of companies) {
    const r = prng(company.seed);
    for (let done = 0; done < company.count; ) {
      const n = Math.min(batchSize, company.count - done);
      const batch = Array.from({ length: n }, () => makeContact(r, company.owners, o.anchor)).map((c) => (company.channelId ? c : { ...c, line: undefined }));
      allRows += await db.transaction((tx) => insertBatch(tx, company.tenantId, company.channelId ?? "", batch));
      done += n;
      rows += n;
      o.onProgress?.(rows);
    }
  }
  const loadMs = performance.now() - started;
  for (const [table, trigger] of DERIVED_TRIGGERS) await db.query(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);

  const indexStarted = performance.now();
  for (const ix of indexes) {
    await db.transaction(async (tx) => {
      // The default 64 MB makes a 1M-row trigram index spill to disk many times over.
      await tx.query(`SET LOCAL maintenance_work_mem = '${db.kind === "postgres" ? "1GB" : "256MB"}'`);
      await tx.query(ix.def);
    });
  }
  // What autovacuum does after a bulk load (the server's db/pglite-vacuum.ts on PGlite), done here
  // at once so that the measuring starts on it: statistics for the planner, and the visibility map
  // that lets index-only scans skip the heap.
  for (const t of [...CONTACT_TABLES, "line_users", "friendships", "rooms"]) await db.query(`VACUUM ANALYZE ${t}`);
  return { rows, allRows, loadMs, indexMs: performance.now() - indexStarted, indexes: indexes.map((i) => i.name) };
}
