import crypto from "node:crypto";
import type { Queryable } from "../db/database.ts";
import type { SearchQuery } from "../search/normalize.ts";

/** The nil uuid: "no member" where a uuid parameter is needed (admin views, company tags). */
export const NO_MEMBER = "00000000-0000-0000-0000-000000000000";

export interface AccessEntry {
  type: "MEMBER" | "TEAM";
  id: string;
}

/** A contact as read for one member: their tags, their room with the LINE user, whether they may edit. */
export interface ContactRow {
  id: string;
  tenant_id: string;
  line_user_id: string | null;
  last_name: string;
  first_name: string;
  phonetic_last_name: string;
  phonetic_first_name: string;
  nick_name: string;
  photo_key: string | null;
  photo_source_key: string | null;
  emails: { type: "WORK" | "HOME" | "OTHER"; email: string; primary: boolean }[];
  telephones: { type: "MOBILE" | "WORK" | "HOME" | "FAX" | "OTHER"; telephone: string; primary: boolean }[];
  organizations: { name: string; department: string; title: string }[];
  addresses: { type: "WORK" | "HOME" | "OTHER"; country: string; postalCode: string; region: string; locality: string; street: string; primary: boolean }[];
  websites: { type: "WORK" | "HOME" | "OTHER"; url: string }[];
  memo: string;
  access_range: "ALL" | "MEMBER";
  co_editing: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  deleted_by: string | null;
  owner_id: string | null;
  accessible: AccessEntry[];
  company_tags: string[];
  my_tags: string[];
  line_display_name: string | null;
  line_picture_url: string | null;
  room_id: string | null;
  editable: boolean;
}

/** Columns a write sets; the derived search columns travel with them. */
/** A contact to insert: its fields, privacy, and the member who creates (and owns) it. */
export type NewContact = ContactWrite & {
  tenant_id: string;
  line_user_id: string | null;
  access_range: "ALL" | "MEMBER";
  co_editing: boolean;
  created_by: string;
  at: Date;
};

export interface ContactWrite {
  last_name: string;
  first_name: string;
  phonetic_last_name: string;
  phonetic_first_name: string;
  nick_name: string;
  emails: unknown[];
  telephones: unknown[];
  organizations: unknown[];
  addresses: unknown[];
  websites: unknown[];
  memo: string;
  search_text: string;
  search_digits: string;
  sort_name: string;
}

/**
 * Visibility, in SQL, for the member in parameter `m` of tenant `t`: everyone (ALL), or an access
 * row for them or a team of theirs. The contact carries those ids in `audience` (0014), so this is
 * one array overlap per row against the member's ids, which the planner computes once per query.
 */
const memberKeysSql = (m: string, t: string) =>
  `(SELECT ARRAY[${t}::uuid, ${m}::uuid] || coalesce(array_agg(tm.team_id), '{}') FROM team_members tm WHERE tm.member_id = ${m})`;
export const visibleSql = (m: string, t = "$1") => `(c.audience && ${memberKeysSql(m, t)})`;
const editableSql = (m: string) => `(c.owner_id = ${m} OR (c.co_editing AND ${visibleSql(m)}))`;

const selectFor = (m: string, extra = "", from = "contacts c") => `SELECT ${extra} c.id, c.tenant_id, c.line_user_id, c.last_name, c.first_name, c.phonetic_last_name,
    c.phonetic_first_name, c.nick_name, c.photo_key, c.photo_source_key, c.emails, c.telephones, c.organizations,
    c.addresses, c.websites, c.memo, c.access_range, c.co_editing, c.version, c.created_at, c.updated_at,
    c.deleted_at, c.deleted_by, c.sort_name,
    c.owner_id,
    coalesce((SELECT json_agg(json_build_object('type', CASE WHEN a.member_id IS NULL THEN 'TEAM' ELSE 'MEMBER' END,
                                                'id', coalesce(a.member_id, a.team_id)) ORDER BY a.id)
              FROM contact_access a WHERE a.contact_id = c.id AND NOT a.is_owner), '[]'::json) AS accessible,
    coalesce((SELECT array_agg(t.name ORDER BY t.name) FROM contact_tags t WHERE t.contact_id = c.id AND t.kind = 'company'), '{}'::text[]) AS company_tags,
    coalesce((SELECT array_agg(t.name ORDER BY t.name) FROM contact_tags t
              WHERE t.contact_id = c.id AND t.kind = 'mine' AND t.member_id = ${m}), '{}'::text[]) AS my_tags,
    lu.display_name AS line_display_name, lu.picture_url AS line_picture_url,
    (SELECT r.id FROM rooms r WHERE r.member_id = ${m} AND r.line_user_id = c.line_user_id) AS room_id,
    ${editableSql(m)} AS editable
  FROM ${from} LEFT JOIN line_users lu ON lu.id = c.line_user_id`;

/** Collects positional parameters while a query is assembled. */
function params(initial: unknown[] = []) {
  const values = [...initial];
  return { values, add: (v: unknown) => `$${values.push(v)}` };
}

export type SortKey = "name" | "created" | "modified";
export interface Keyset {
  key: string;
  id: string;
}

const SORTS: Record<SortKey, { col: string; cast: string; dir: "ASC" | "DESC" }> = {
  name: { col: `c.sort_name COLLATE "C"`, cast: `::text COLLATE "C"`, dir: "ASC" },
  created: { col: "c.created_at", cast: "::timestamptz", dir: "DESC" },
  modified: { col: "c.updated_at", cast: "::timestamptz", dir: "DESC" },
};

/**
 * How a search walks the list in sort order before it turns to the search index (see `list`):
 * a first stretch, and the most a dense query may walk once that stretch told its density.
 */
export interface WalkPlan {
  firstRows: number;
  maxRows: number;
  /** The first walk-on stretch; by default what the density says a page needs, twice over. */
  stretchRows?: number;
}
const SEARCH_WALK: WalkPlan = { firstRows: 250, maxRows: 20_000 };

/** The planner's estimate of the rows a statement returns, without running it. */
async function estimatedRows(db: Queryable, sql: string, values: unknown[]): Promise<number> {
  const [row] = await db.query<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
  return row!["QUERY PLAN"][0].Plan["Plan Rows"];
}

/**
 * The planner's estimate of a tenant's live contacts, kept for a minute: a search that reaches past
 * its first stretch needs it as a scale, and a statement (a planning-only EXPLAIN) per search cost
 * more than the estimate's drift over a minute matters.
 */
const LIVE_ESTIMATE_MS = 60_000;
const liveEstimates = new Map<string, { rows: number; at: number }>();
async function liveContactsEstimate(db: Queryable, tenantId: string): Promise<number> {
  const kept = liveEstimates.get(tenantId);
  if (kept && Date.now() - kept.at < LIVE_ESTIMATE_MS) return kept.rows;
  const rows = await estimatedRows(db, "SELECT 1 FROM contacts c WHERE c.tenant_id = $1 AND c.deleted_at IS NULL", [tenantId]);
  liveEstimates.set(tenantId, { rows, at: Date.now() });
  return rows;
}

/** The index expression of 0022; a query must repeat it exactly for the planner to use the index. */
const SEARCH_KEYS_SQL = "contact_search_keys(c.tenant_id, c.search_text, c.search_digits)";

/**
 * The keys of 0022's index that every contact matching `text` carries: the query's 3-character
 * pieces, or the whole word when shorter, for each run between spaces and line breaks (a piece of
 * the query is a piece of the text, and the stored keys hold every piece without a separator).
 * Characters are code points, as PostgreSQL's `regexp_split_to_array(w, '')` counts them.
 */
export function searchKeys(tenantId: string, kind: "t" | "d", text: string): string[] {
  const prefix = tenantId.replace(/-/g, "").slice(0, 12) + kind;
  const keys = new Set<string>();
  for (const word of text.split(kind === "t" ? /[ \n]+/ : / +/)) {
    const c = [...word];
    if (c.length === 0) continue;
    if (c.length < 3) keys.add(prefix + word);
    else for (let i = 0; i + 3 <= c.length; i++) keys.add(prefix + c.slice(i, i + 3).join(""));
  }
  return [...keys];
}

/**
 * The keys of `contacts.tag_keys` (0029) that a tag filter by `memberId` matches: the company's tag
 * of that name, or the member's own; the SQL function contact_tag_key builds the stored ones.
 */
export function tagKeys(tenantId: string, memberId: string, name: string): string[] {
  return [`${tenantId.replace(/-/g, "").slice(0, 12)}c${name}`, `${memberId.replace(/-/g, "")}m${name}`];
}

export const sortKeyOf = (row: ContactRow & { sort_name?: string }, sort: SortKey): string =>
  sort === "name" ? (row.sort_name ?? "") : sort === "created" ? row.created_at.toISOString() : row.updated_at.toISOString();

export interface ListFilter {
  tenantId: string;
  /** The member whose visibility applies; undefined for the admin views (every contact of the tenant). */
  memberId?: string;
  /** The member's teams when the caller knows them (a signed-in request's): saves reading them first. */
  teamIds?: readonly string[];
  lineOnly?: boolean;
  search?: SearchQuery;
  tag?: string;
  trash?: boolean;
  adminFilter?: "no_visible_members" | "no_owner";
  sort: SortKey;
  after?: Keyset;
  limit: number;
}

export const contactRepository = {
  async list(db: Queryable, f: ListFilter, plan: WalkPlan = SEARCH_WALK): Promise<(ContactRow & { sort_name: string })[]> {
    const p = params([f.tenantId, f.memberId ?? NO_MEMBER]);
    const s = SORTS[f.sort];
    const scope = ["c.tenant_id = $1", f.trash ? "c.deleted_at IS NOT NULL" : "c.deleted_at IS NULL"];
    if (f.after) scope.push(`(${s.col}, c.id) ${s.dir === "ASC" ? ">" : "<"} (${p.add(f.after.key)}${s.cast}, ${p.add(f.after.id)}::uuid)`);
    // The first entry is the tenant's list in sort order from the cursor on: what a search walks.
    const where = [scope.join(" AND ")];
    // The member's ids go in as a value, not a subquery: the planner then estimates the overlap
    // from the statistics of `audience` (a subquery's result counts as unknown, and the guess of
    // 0.5 % of rows sent a tag filter to a sequential scan).
    const keys = f.memberId && (f.teamIds ? [f.tenantId, f.memberId, ...f.teamIds] : await this.memberKeys(db, f.tenantId, f.memberId));
    const visible = keys ? `c.audience && ${p.add(keys)}::uuid[]` : undefined;
    // The member's Trash: what they could edit when it was deleted (owner or co-editor).
    if (visible) where.push(f.trash ? `(c.owner_id = $2 OR (c.co_editing AND ${visible}))` : visible);
    if (f.lineOnly) where.push("c.line_user_id IS NOT NULL");
    if (f.adminFilter === "no_owner") where.push("c.owner_id IS NULL");
    if (f.adminFilter === "no_visible_members") {
      where.push(`c.access_range = 'MEMBER' AND NOT EXISTS (
        SELECT 1 FROM contact_access a WHERE a.contact_id = c.id
          AND (a.member_id IS NOT NULL OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = a.team_id)))`);
    }
    // How a search or tag filter matches while walking the list (see below), and while collecting
    // through an index: 0022's keys, scoped to the tenant, find the candidates and the substring
    // test decides, so both ways give exactly the substring rule's rows.
    const walk: string[] = [];
    // Collecting adds parameters the walk does not use (PostgreSQL refuses a statement with a
    // parameter it cannot type), so its index tests are assembled on their own copy of the
    // parameters; `exact` false gives the index tests alone, for the planner's estimate.
    const collect: ((c: ReturnType<typeof params>, exact: boolean) => string)[] = [];
    if (f.search) {
      const tests = [{ column: "c.search_text", kind: "t" as const, text: f.search.text }, ...(f.search.digits ?? []).map((d) => ({ column: "c.search_digits", kind: "d" as const, text: d }))].map(
        (t) => ({ ...t, contains: `strpos(${t.column}, ${p.add(t.text)}) > 0`, keys: searchKeys(f.tenantId, t.kind, t.text) }),
      );
      walk.push(`(${tests.map((t) => t.contains).join(" OR ")})`);
      // A text containing the query carries all of its keys, so the substring tests alone decide;
      // the key tests stay apart from them, as one OR the bitmap scan answers from the index. Paired
      // per test, they were evaluated again on every candidate row (the key function is PL/pgSQL:
      // 12 of 13 ms for `4821`, a text and a digits test, on PGlite).
      collect.push((c, exact) => {
        const indexed = `(${tests.map((t) => (t.keys.length ? `${SEARCH_KEYS_SQL} @> ${c.add(t.keys)}::text[]` : "true")).join(" OR ")})`;
        return exact ? `${indexed} AND (${tests.map((t) => t.contains).join(" OR ")})` : indexed;
      });
    }
    if (f.tag) {
      // The contact carries its tags as keys (0029): the test is on the row itself, walking or
      // collecting, and a collect is a probe of the tag keys' GIN index for this company's rows.
      const keys = tagKeys(f.tenantId, f.memberId ?? NO_MEMBER, f.tag);
      const keysParam = p.add(keys);
      walk.push(`c.tag_keys && ${keysParam}::text[]`);
      // The collect statement starts from the list's parameters, where the keys already are.
      collect.push((c, exact) => `c.tag_keys && ${exact ? keysParam : c.add(keys)}::text[]`);
    }
    const order = `${s.col} ${s.dir}, c.id ${s.dir}`;
    const limit = p.add(f.limit);
    if (!walk.length) return db.query(`${selectFor("$2")} WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ${limit}`, p.values);

    // A search has two ways to a page, and each is slow where the other is fast. Walking the list
    // in sort order until a page of rows matches costs a heap row per row walked (a tag is tested
    // on the row itself): quick for common words, but matches cluster in sort order (田中 sorts
    // with the た readings, half-way down). Collecting every match through the index and sorting
    // them costs a heap row per candidate: quick for rare words and misses, slow for "son". So:
    // walk a short stretch first; a full page found there is exactly the page, as everything later
    // sorts later. Then the planner's estimate of the candidates (its statistics of 0022's keys
    // and of 0029's tag keys) says which is cheaper for the rest: walking on as far as the density of
    // matches says a page needs, or collecting them all; a walk that still falls short collects.
    const walkFor = (rows: number, from?: Keyset, wanted = f.limit) => {
      const pw = params(p.values);
      const stretch = from ? `${where[0]} AND (${s.col}, c.id) ${s.dir === "ASC" ? ">" : "<"} (${pw.add(from.key)}${s.cast}, ${pw.add(from.id)}::uuid)` : where[0];
      return db.query<ContactRow & { sort_name: string }>(
        `${selectFor("$2", "", `(SELECT * FROM contacts c WHERE ${stretch} ORDER BY ${order} LIMIT ${pw.add(rows)}) c`)}
         WHERE ${[...where.slice(1), ...walk].join(" AND ")} ORDER BY ${order} LIMIT least(${limit}::int, ${pw.add(wanted)}::int)`,
        pw.values,
      );
    };
    const first = await walkFor(plan.firstRows);
    if (first.length === f.limit) return first;

    // Estimated over the tenant's live contacts, visibility and cursor aside: their ratio is the density.
    // ($2 is named in both so that it is typed even when no tag test uses it.)
    const pe = params([f.tenantId, f.memberId ?? NO_MEMBER]);
    const live = "c.tenant_id = $1 AND c.deleted_at IS NULL AND $2::uuid IS NOT NULL";
    // The planner multiplies the frequencies of a query's keys as if independent (@hooli's four
    // pieces come out at 1 candidate, against 1,462), so what the first stretch saw bounds it too.
    const listed = await liveContactsEstimate(db, f.tenantId);
    const seen = first.length / plan.firstRows;
    const candidates = Math.max(seen * listed, await estimatedRows(db, `SELECT 1 FROM contacts c WHERE ${[live, ...collect.map((m) => m(pe, false))].join(" AND ")}`, pe.values));
    const density = Math.max(seen, candidates / Math.max(listed, 1));
    const rowsForPage = density > 0 ? f.limit / density : Infinity;
    let stretch = Math.ceil(plan.stretchRows ?? Math.min(rowsForPage * 2, plan.maxRows));
    if (rowsForPage < candidates && rowsForPage * 2 > plan.firstRows) {
      // On from the last row the previous stretch walked (read from the sort index alone), so no
      // row is walked twice; earlier stretches' matches sort before everything after them.
      // Matches cluster in sort order (at 1M, `son`'s first is row 4,390: the Andersons after the
      // Allens), so a stretch that falls short is followed by one twice as long, for as long as the
      // rows walked stay fewer than the candidates a collect would read.
      // The list's own terms are the first parameters: tenant, member (named so it is typed), cursor.
      const po = params(p.values.slice(0, f.after ? 4 : 2));
      const endOf = async (from: Keyset | undefined, rows: number) => {
        const pk = params(po.values);
        const after = from ? ` AND (${s.col}, c.id) ${s.dir === "ASC" ? ">" : "<"} (${pk.add(from.key)}${s.cast}, ${pk.add(from.id)}::uuid)` : "";
        const [row] = await db.query<Keyset>(
          `SELECT (${s.col})::text AS key, c.id FROM contacts c WHERE ${where[0]}${after} AND $2::uuid IS NOT NULL
           ORDER BY ${order} OFFSET ${pk.add(rows - 1)} LIMIT 1`,
          pk.values,
        );
        return row;
      };
      const found = [...first];
      let walked = plan.firstRows;
      // No such row: the stretch walked reached the end of the list, so its matches are all there are.
      let end = await endOf(undefined, plan.firstRows);
      // The first stretch is what the density says a page needs; the next ones must keep the walk cheaper than a collect.
      for (let rows = Math.min(stretch, plan.maxRows - walked); end && rows > 0; rows = Math.min(stretch, plan.maxRows - walked)) {
        found.push(...(await walkFor(rows, end, f.limit - found.length)));
        if (found.length === f.limit) return found;
        end = await endOf(end, rows);
        walked += rows;
        stretch *= 2;
        if (walked + stretch >= candidates) break;
      }
      if (!end) return found;
    }
    const pc = params(p.values);
    const matches = collect.map((m) => m(pc, true));
    // The keys already carry the company, but the planner cannot know it: beside 19 other
    // companies it added the company's whole stretch of the sort index to the bitmap (+370 pages
    // for 田中, bench --isolation). Compared as text, the tenant test is a filter on the candidates.
    const tenantFilter = where[0]!.replace("c.tenant_id = $1", "c.tenant_id::text = $1::text");
    return db.query(
      `WITH hits AS MATERIALIZED (SELECT c.id, ${s.col} AS k FROM contacts c WHERE ${[tenantFilter, ...where.slice(1), ...matches].join(" AND ")}),
         page AS (SELECT id, k FROM hits ORDER BY k ${s.dir}, id ${s.dir} LIMIT ${limit})
       ${selectFor("$2")} JOIN page ON page.id = c.id ORDER BY ${order}`,
      pc.values,
    );
  },

  /** The ids that let `memberId` see a contact (see `audience` in 0014): the tenant's, their own and their teams'. */
  async memberKeys(db: Queryable, tenantId: string, memberId: string): Promise<string[]> {
    const [row] = await db.query<{ keys: string[] }>(
      "SELECT ARRAY[$1::uuid, $2::uuid] || coalesce(array_agg(tm.team_id), '{}') AS keys FROM team_members tm WHERE tm.member_id = $2",
      [tenantId, memberId],
    );
    return row!.keys;
  },

  /** One contact of the tenant as seen by `memberId`, with `visible` telling whether the member may see it. */
  async get(db: Queryable, tenantId: string, memberId: string, id: string): Promise<(ContactRow & { visible: boolean }) | undefined> {
    const [row] = await db.query<ContactRow & { visible: boolean }>(
      `${selectFor("$2", `${visibleSql("$2")} AS visible,`)} WHERE c.tenant_id = $1 AND c.id = $3`,
      [tenantId, memberId, id],
    );
    return row;
  },

  /**
   * The members who see the contact (the whole company for ALL), whether it is live or in the
   * Trash: who must hear about a change to it. One query, so a company-wide contact costs no more.
   */
  async audience(db: Queryable, tenantId: string, ids: readonly string[]): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      `SELECT m.id FROM members m WHERE m.tenant_id = $1
         AND EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[]) AND ${visibleSql("m.id")})`,
      [tenantId, [...ids]],
    );
    return rows.map((r) => r.id);
  },

  /** Serialises writers of one contact; NO KEY: a child row's foreign-key check (tags, shares) must not wait on it. */
  async lock(db: Queryable, tenantId: string, id: string) {
    await db.query("SELECT id FROM contacts WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE", [tenantId, id]);
  },

  /** Contacts of a LINE user in the tenant: those visible to the member, and those in the member's Trash. */
  async ofLineUserFor(db: Queryable, tenantId: string, memberId: string, lineUserId: string) {
    return db.query<{ id: string; deleted: boolean; visible: boolean; editable: boolean }>(
      `SELECT c.id, c.deleted_at IS NOT NULL AS deleted, ${visibleSql("$2")} AS visible, ${editableSql("$2")} AS editable
       FROM contacts c WHERE c.tenant_id = $1 AND c.line_user_id = $3 ORDER BY c.created_at, c.id`,
      [tenantId, memberId, lineUserId],
    );
  },

  /**
   * Locks the tenant row (serialising quota checks) and counts its contacts, Trash included.
   * FOR NO KEY UPDATE, not FOR UPDATE: every insert of a tenant's row (a message, a live event)
   * checks its foreign key with FOR KEY SHARE on this row, which FOR UPDATE blocks. A LINE user's
   * follow, holding their line_users row and then publishing, deadlocked with Add LINE Contact,
   * holding this row and then inserting the contact that references that line_users row (a 500).
   */
  async lockedCount(db: Queryable, tenantId: string): Promise<{ count: number; quota: number }> {
    const [t] = await db.query<{ contact_quota: number }>("SELECT contact_quota FROM tenants WHERE id = $1 FOR NO KEY UPDATE", [tenantId]);
    const [n] = await db.query<{ n: number }>("SELECT count(*) AS n FROM contacts WHERE tenant_id = $1", [tenantId]);
    return { count: n!.n, quota: t!.contact_quota };
  },

  async count(db: Queryable, tenantId: string): Promise<number> {
    const [n] = await db.query<{ n: number }>("SELECT count(*) AS n FROM contacts WHERE tenant_id = $1", [tenantId]);
    return n!.n;
  },

  /**
   * Inserts contacts, each owned by its creator, in one statement, and answers their ids in the
   * order given (a vCard import's cards go in together: one round trip, and one run of 0014's
   * access trigger, for all of them). Each contact and its owner's access row go in together, the
   * contact naming its owner as it goes in, so nothing rewrites the row it just wrote (0031).
   */
  async insert(db: Queryable, rows: readonly NewContact[]): Promise<string[]> {
    if (!rows.length) return [];
    const ids = rows.map(() => crypto.randomUUID());
    const json = (pick: (c: NewContact) => unknown) => rows.map((c) => JSON.stringify(pick(c)));
    await db.query(
      `WITH c AS (
         INSERT INTO contacts (id, tenant_id, line_user_id, last_name, first_name, phonetic_last_name, phonetic_first_name, nick_name,
           emails, telephones, organizations, addresses, websites, memo, search_text, search_digits, sort_name,
           access_range, co_editing, created_by, created_at, updated_at, owner_id)
         SELECT u.id, u.tenant_id, u.line_user_id, u.last_name, u.first_name, u.pl, u.pf, u.nick, u.emails::jsonb, u.phones::jsonb,
           u.orgs::jsonb, u.addresses::jsonb, u.websites::jsonb, u.memo, u.st, u.sd, u.sn, u.access, u.co, u.by, u.at, u.at, u.by
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
           $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
           $19::boolean[], $20::uuid[], $21::timestamptz[])
           AS u(id, tenant_id, line_user_id, last_name, first_name, pl, pf, nick, emails, phones, orgs, addresses, websites, memo,
             st, sd, sn, access, co, by, at)
         RETURNING id, created_by
       )
       INSERT INTO contact_access (contact_id, member_id, is_owner) SELECT id, created_by, true FROM c`,
      [
        ids,
        rows.map((c) => c.tenant_id),
        rows.map((c) => c.line_user_id),
        rows.map((c) => c.last_name),
        rows.map((c) => c.first_name),
        rows.map((c) => c.phonetic_last_name),
        rows.map((c) => c.phonetic_first_name),
        rows.map((c) => c.nick_name),
        json((c) => c.emails),
        json((c) => c.telephones),
        json((c) => c.organizations),
        json((c) => c.addresses),
        json((c) => c.websites),
        rows.map((c) => c.memo),
        rows.map((c) => c.search_text),
        rows.map((c) => c.search_digits),
        rows.map((c) => c.sort_name),
        rows.map((c) => c.access_range),
        rows.map((c) => c.co_editing),
        rows.map((c) => c.created_by),
        rows.map((c) => c.at),
      ],
    );
    return ids;
  },

  /** Writes the fields when the version still matches; false when someone else saved first. */
  async update(db: Queryable, id: string, expectedVersion: number, c: ContactWrite, at: Date): Promise<boolean> {
    const rows = await db.query(
      `UPDATE contacts SET last_name = $3, first_name = $4, phonetic_last_name = $5, phonetic_first_name = $6, nick_name = $7,
         emails = $8, telephones = $9, organizations = $10, addresses = $11, websites = $12, memo = $13,
         search_text = $14, search_digits = $15, sort_name = $16, version = version + 1, updated_at = $17
       WHERE id = $1 AND version = $2 RETURNING id`,
      [
        id,
        expectedVersion,
        c.last_name,
        c.first_name,
        c.phonetic_last_name,
        c.phonetic_first_name,
        c.nick_name,
        JSON.stringify(c.emails),
        JSON.stringify(c.telephones),
        JSON.stringify(c.organizations),
        JSON.stringify(c.addresses),
        JSON.stringify(c.websites),
        c.memo,
        c.search_text,
        c.search_digits,
        c.sort_name,
        at,
      ],
    );
    return rows.length > 0;
  },

  async touch(db: Queryable, id: string, at: Date) {
    await db.query("UPDATE contacts SET version = version + 1, updated_at = $2 WHERE id = $1", [id, at]);
  },

  async setPhoto(db: Queryable, id: string, photoKey: string | null, sourceKey: string | null, at: Date) {
    await db.query("UPDATE contacts SET photo_key = $2, photo_source_key = $3, version = version + 1, updated_at = $4 WHERE id = $1", [
      id,
      photoKey,
      sourceKey,
      at,
    ]);
  },

  async setPermission(db: Queryable, id: string, range: "ALL" | "MEMBER", coEditing: boolean, entries: AccessEntry[], at: Date) {
    await db.query("UPDATE contacts SET access_range = $2, co_editing = $3, version = version + 1, updated_at = $4 WHERE id = $1", [
      id,
      range,
      coEditing,
      at,
    ]);
    await this.replaceEntries(db, id, entries);
  },

  /** The chosen members and teams (the owner row stays). */
  async replaceEntries(db: Queryable, id: string, entries: AccessEntry[]) {
    await db.query("DELETE FROM contact_access WHERE contact_id = $1 AND NOT is_owner", [id]);
    for (const e of entries) {
      await db.query(
        `INSERT INTO contact_access (contact_id, member_id, team_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [id, e.type === "MEMBER" ? e.id : null, e.type === "TEAM" ? e.id : null],
      );
    }
  },

  /** Makes `ownerId` the owner; the previous owner is kept as a chosen member, so no one loses sight by a hand-over. */
  async setOwner(db: Queryable, id: string, ownerId: string, at: Date) {
    await db.query("UPDATE contact_access SET is_owner = false WHERE contact_id = $1 AND is_owner", [id]);
    await db.query("DELETE FROM contact_access WHERE contact_id = $1 AND member_id = $2", [id, ownerId]);
    await db.query("INSERT INTO contact_access (contact_id, member_id, is_owner) VALUES ($1, $2, true)", [id, ownerId]);
    await db.query("UPDATE contacts SET version = version + 1, updated_at = $2 WHERE id = $1", [id, at]);
  },

  /** Replaces one kind of tags (company, or one member's own); returns whether anything changed. */
  async setTags(db: Queryable, id: string, kind: "company" | "mine", memberId: string, names: string[]): Promise<boolean> {
    const owner = kind === "company" ? NO_MEMBER : memberId;
    const removed = await db.query(
      "DELETE FROM contact_tags WHERE contact_id = $1 AND kind = $2 AND member_id = $3 AND NOT (name = ANY($4::text[])) RETURNING name",
      [id, kind, owner, names],
    );
    const added = await db.query(
      `INSERT INTO contact_tags (contact_id, kind, member_id, name) SELECT $1, $2, $3, unnest($4::text[])
       ON CONFLICT DO NOTHING RETURNING name`,
      [id, kind, owner, names],
    );
    return removed.length + added.length > 0;
  },

  async setDeleted(db: Queryable, id: string, by: string | null, at: Date | null) {
    await db.query("UPDATE contacts SET deleted_at = $2, deleted_by = $3, version = version + 1, updated_at = coalesce($2, updated_at) WHERE id = $1", [
      id,
      at,
      at ? by : null,
    ]);
  },

  async remove(db: Queryable, id: string): Promise<{ photo_key: string | null } | undefined> {
    const [row] = await db.query<{ photo_key: string | null }>("DELETE FROM contacts WHERE id = $1 RETURNING photo_key", [id]);
    return row;
  },

  /** Trash older than each tenant's retention, as of `now`. */
  expiredTrash: (db: Queryable, now: Date, limit: number) =>
    db.query<{ id: string; tenant_id: string; photo_key: string | null }>(
      `SELECT c.id, c.tenant_id, c.photo_key FROM contacts c JOIN tenants t ON t.id = c.tenant_id
       WHERE c.deleted_at IS NOT NULL AND c.deleted_at < $1::timestamptz - make_interval(days => t.trash_retention_days)
       ORDER BY c.deleted_at LIMIT $2`,
      [now, limit],
    ),

  /** Linked contacts (Trash included: their locked fields mirror LINE too). */
  linkedTo: (db: Queryable, lineUserId: string) =>
    db.query<{ id: string; tenant_id: string; nick_name: string; photo_key: string | null; photo_source_key: string | null }>(
      "SELECT id, tenant_id, nick_name, photo_key, photo_source_key FROM contacts WHERE line_user_id = $1 FOR NO KEY UPDATE",
      [lineUserId],
    ),

  /** Contacts by id after `after`, with what their search columns are derived from (search-refresh job). */
  searchSources: (db: Queryable, after: string | null, limit: number) =>
    db.query<
      Pick<ContactRow, "id" | "version" | "last_name" | "first_name" | "phonetic_last_name" | "phonetic_first_name" | "nick_name" | "organizations" | "emails" | "telephones"> &
        Pick<ContactWrite, "search_text" | "search_digits" | "sort_name">
    >(
      `SELECT id, version, last_name, first_name, phonetic_last_name, phonetic_first_name, nick_name, organizations, emails, telephones,
         search_text, search_digits, sort_name
       FROM contacts WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [after, limit],
    ),

  /** Rewrites derived search columns unless the contact was saved since it was read (a save derives them itself). */
  setSearchColumns: (db: Queryable, id: string, version: number, c: Pick<ContactWrite, "search_text" | "search_digits" | "sort_name">) =>
    db.query("UPDATE contacts SET search_text = $3, search_digits = $4, sort_name = $5 WHERE id = $1 AND version = $2", [
      id,
      version,
      c.search_text,
      c.search_digits,
      c.sort_name,
    ]),

  setNickName: (db: Queryable, id: string, nickName: string, searchText: string, sortName: string, at: Date) =>
    db.query("UPDATE contacts SET nick_name = $2, search_text = $3, sort_name = $4, version = version + 1, updated_at = $5 WHERE id = $1", [
      id,
      nickName,
      searchText,
      sortName,
      at,
    ]),

  /** LINE users whose cached avatar is newer than the photo of a linked contact. */
  staleLinePhotos: (db: Queryable, limit: number) =>
    db.query<{ line_user_id: string }>(
      `SELECT DISTINCT c.line_user_id FROM contacts c JOIN line_users lu ON lu.id = c.line_user_id
       WHERE lu.picture_file_key IS NOT NULL AND c.photo_source_key IS DISTINCT FROM lu.picture_file_key LIMIT $1`,
      [limit],
    ),

  /** Members with a room with this LINE user whose friendship is active, with what the LINE gate needs. */
  friendsInRooms: (db: Queryable, tenantId: string, lineUserId: string) =>
    db.query<{
      id: string;
      display_name: string;
      line_allowed: boolean;
      team_ids: string[];
      tenant_name: string;
      plan: "standard" | "core";
      line_policy: "deny" | "allow";
      line_grant: "all" | "by_member";
    }>(
      `SELECT m.id, m.display_name, m.line_allowed, t.name AS tenant_name, t.plan, t.line_policy, t.line_grant,
         coalesce((SELECT array_agg(tm.team_id) FROM team_members tm WHERE tm.member_id = m.id), '{}'::uuid[]) AS team_ids
       FROM friendships f JOIN rooms r ON r.friendship_id = f.id JOIN members m ON m.id = f.member_id JOIN tenants t ON t.id = m.tenant_id
       WHERE f.line_user_id = $2 AND f.state = 'active' AND m.tenant_id = $1
       ORDER BY m.display_name, m.id`,
      [tenantId, lineUserId],
    ),

  /** Which of these ids are members / teams of the tenant. */
  async knownAccessIds(db: Queryable, tenantId: string, ids: string[]): Promise<Set<string>> {
    const rows = await db.query<{ id: string }>(
      `SELECT id FROM members WHERE tenant_id = $1 AND id = ANY($2::uuid[])
       UNION SELECT id FROM teams WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    return new Set(rows.map((r) => r.id));
  },

  async room(db: Queryable, tenantId: string, memberId: string, roomId: string) {
    const [row] = await db.query<{ id: string; line_user_id: string; display_name: string | null; picture_url: string | null; picture_file_key: string | null }>(
      `SELECT r.id, r.line_user_id, lu.display_name, lu.picture_url, lu.picture_file_key
       FROM rooms r JOIN line_users lu ON lu.id = r.line_user_id WHERE r.tenant_id = $1 AND r.member_id = $2 AND r.id = $3`,
      [tenantId, memberId, roomId],
    );
    return row;
  },

  async setDefaultAccess(db: Queryable, tenantId: string, patch: { defaultAccess?: "ALL" | "MEMBER"; retentionDays?: number }) {
    const [row] = await db.query<{ contact_default_access: "ALL" | "MEMBER"; trash_retention_days: number; contact_quota: number }>(
      `UPDATE tenants SET contact_default_access = coalesce($2, contact_default_access),
         trash_retention_days = coalesce($3, trash_retention_days), updated_at = now()
       WHERE id = $1 RETURNING contact_default_access, trash_retention_days, contact_quota`,
      [tenantId, patch.defaultAccess ?? null, patch.retentionDays ?? null],
    );
    return row!;
  },

  async settings(db: Queryable, tenantId: string) {
    const [row] = await db.query<{ contact_default_access: "ALL" | "MEMBER"; trash_retention_days: number; contact_quota: number }>(
      "SELECT contact_default_access, trash_retention_days, contact_quota FROM tenants WHERE id = $1",
      [tenantId],
    );
    return row!;
  },
};
