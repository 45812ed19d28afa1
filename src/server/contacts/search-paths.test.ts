import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedIn, type ApiClient } from "../../../test/support/server.ts";
import { searchQuery } from "../search/normalize.ts";
import { contactRepository, sortKeyOf, type Keyset, type WalkPlan } from "./repository.ts";
import { addManual, bootContactsServer, client, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * A search answers a page either from a bounded walk of the list in sort order or by collecting
 * every match through the trigram / grams indexes (repository.ts `list`). Paging a search with a
 * small limit takes both: a full first page comes from the walk, the short last page from the
 * collection. Both must give exactly what the LIKE over the whole list gives, in every sort.
 */
let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
const expected: Record<string, { id: string; name: string }[]> = { 田中: [], tanaka: [], 田: [] };

beforeAll(async () => {
  h = await bootContactsServer();
  [sato, kim] = await Promise.all([client(h, "sato@demo.example"), client(h, "kim@demo.example")]);
  const readings = ["あ", "か", "さ", "た", "な", "は", "ま"];
  for (const [i, r] of readings.entries()) {
    // 田中 in the name, a 2-character query (grams index); "tanaka" in the e-mail (trigrams).
    const made = await addManual(sato, {
      contactName: { lastName: "田中", firstName: `${i}`, phoneticLastName: `${r}たなか`, phoneticFirstName: "" },
      emails: [{ email: `tanaka${i}@example.com` }],
    });
    const entry = { id: made.contactId, name: `${r}たなか` };
    expected["田中"]!.push(entry);
    expected.tanaka!.push(entry);
    expected["田"]!.push(entry);
    // Noise that sorts in between and matches only the 1-character query.
    const other = await addManual(sato, { contactName: { lastName: "山田", firstName: `${i}`, phoneticLastName: `${r}やまだ` } });
    expected["田"]!.push({ id: other.contactId, name: `${r}やまだ` });
    await addManual(sato, { contactName: { lastName: "佐藤", firstName: `${i}`, phoneticLastName: `${r}さとう` } });
  }
  // Tagged 展示会: a company tag on some, sato's own tag on others (the tag filter's rows).
  for (const [i, r] of readings.entries()) {
    const tags = i % 3 === 0 ? { company: ["展示会"] } : i % 3 === 1 ? { mine: ["展示会"] } : { mine: ["別件"] };
    await addManual(sato, { contactName: { lastName: i % 2 ? "高橋" : "鈴木", firstName: `tag${i}`, phoneticLastName: `${r}てんじ` }, tags });
  }
  // Not visible to sato: must never appear, whichever way the page is found.
  await addManual(kim, { contactName: { lastName: "田中", firstName: "kim", phoneticLastName: "あたなか" }, emails: [{ email: "tanaka-kim@example.com" }], tags: { company: ["展示会"], mine: ["展示会"] } });
  // Phone digits (their own keys in 0022's index) and a name with a space in the query's reach.
  const phone = await addManual(sato, { contactName: { lastName: "Tanaka", firstName: "Phone", phoneticLastName: "たなか ふぉん" }, telephones: [{ telephone: "+81 90-4821-1234" }] });
  expected.tanaka!.push({ id: phone.contactId, name: "たなか ふぉん" });
  // Another company with the same names, e-mails and phone: its rows share every search key but
  // the company prefix, and must never be found from sato's.
  const other = await h.server.directory.createTenant({ name: "Other Company", plan: "core" });
  await h.server.directory.addMember(other, null, { loginId: "other-admin", email: "admin@other.example", displayName: "Other Admin", role: "admin", password: "other-password-1" });
  const otherAdmin = await signedIn(h, "admin@other.example", "other-password-1");
  for (let i = 0; i < 3; i++) {
    const made = await addManual(otherAdmin, {
      contactName: { lastName: "田中", firstName: `${i}`, phoneticLastName: "あたなか" },
      emails: [{ email: `tanaka${i}@example.com` }],
      telephones: [{ telephone: "+81 90-4821-1234" }],
      tags: { company: ["展示会"] },
    });
    expect(made.contactId).toBeTruthy();
  }
  // The walk's choices read the planner's estimates; without statistics it sees a one-row company and never walks on.
  await h.server.db.exec("ANALYZE contacts");
});
afterAll(async () => {
  await h?.stop();
});

async function pages(q: string, sort: string, limit: number) {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; json: { items: { contactId: string }[]; nextCursor: string | null } } = await sato.get(
      `/api/v1/contacts?q=${encodeURIComponent(q)}&sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(res.status).toBe(200);
    seen.push(...res.json.items.map((c) => c.contactId));
    cursor = res.json.nextCursor;
  } while (cursor);
  return seen;
}

describe("search paging through both query paths", () => {
  for (const q of ["田中", "tanaka", "田"]) {
    it(`pages "${q}" by name exactly like the full match list`, async () => {
      const byName = [...expected[q]!].sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => e.id);
      for (const limit of [1, 2, 3, 100]) expect(await pages(q, "name", limit)).toEqual(byName);
    });
  }

  it("pages by created and modified without gaps, repeats or hidden contacts", async () => {
    for (const sort of ["created", "modified"]) {
      const seen = await pages("田中", sort, 2);
      expect([...seen].sort()).toEqual(expected["田中"]!.map((e) => e.id).sort());
      // Newest first: the reverse of the order they were added in.
      expect(seen).toEqual(expected["田中"]!.map((e) => e.id).reverse());
    }
  });
});

describe("every way to a page gives the substring rule's rows", () => {
  // The repository's walk is sized for 100k contacts; these plans force each way on a small
  // company: walking only (a stretch longer than the list), collecting at once (a one-row stretch
  // that may not walk on), and a one-row stretch that may walk on as far as it likes.
  const plans: [string, WalkPlan][] = [
    ["walk", { firstRows: 10_000, maxRows: 10_000 }],
    ["collect", { firstRows: 1, maxRows: 1 }],
    ["walk on", { firstRows: 1, maxRows: 10_000 }],
    // Stretches of 1, 2, 4 … rows: every stretch's end found from the one before.
    ["walk on in growing stretches", { firstRows: 1, maxRows: 10_000, stretchRows: 1 }],
  ];
  const queries = ["田中", "tanaka", "田", "たなか", "タナカ", "田中 3", "example.com", "4821", "090-4821", "zzqx", "中 "];

  // A tag filter alone, beside a search, beside a miss, and a tag nobody has.
  const tagged: [string, string | undefined][] = [["展示会", undefined], ["展示会", "高橋"], ["展示会", "zzqx"], ["未使用", undefined]];

  /**
   * The rule as one statement, with no index in the way: sato's live contacts whose folded text or
   * phone digits contain the query, and that carry the tag as a company tag or as sato's own.
   */
  async function rule(q: string | undefined, tag?: string): Promise<string[]> {
    const db = h.server.db;
    const satoId = await memberId(h, "sato@demo.example");
    const [{ tenant_id: tenantId }] = (await db.query<{ tenant_id: string }>("SELECT tenant_id FROM members WHERE id = $1", [satoId])) as [{ tenant_id: string }];
    const keys = await contactRepository.memberKeys(db, tenantId, satoId);
    const s = q === undefined ? undefined : searchQuery(q);
    const rows = await db.query<{ id: string }>(
      `SELECT id FROM contacts c WHERE tenant_id = $1 AND deleted_at IS NULL AND audience && $2::uuid[]
         AND ($3::text IS NULL OR strpos(search_text, $3) > 0 OR EXISTS (SELECT 1 FROM unnest($4::text[]) d WHERE strpos(search_digits, d) > 0))
         AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.name = $5 AND (t.kind = 'company' OR t.member_id = $6)))
       ORDER BY sort_name COLLATE "C", id`,
      [tenantId, keys, s?.text ?? null, s?.digits ?? [], tag ?? null, satoId],
    );
    return rows.map((r) => r.id);
  }

  for (const [name, plan] of plans) {
    it(`pages every query by ${name} exactly like the rule`, async () => {
      const satoId = await memberId(h, "sato@demo.example");
      const [{ tenant_id: tenantId }] = (await h.server.db.query<{ tenant_id: string }>("SELECT tenant_id FROM members WHERE id = $1", [satoId])) as [{ tenant_id: string }];
      for (const q of queries) {
        const seen: string[] = [];
        let after: Keyset | undefined;
        for (;;) {
          const rows = await contactRepository.list(h.server.db, { tenantId, memberId: satoId, search: searchQuery(q.trim()), sort: "name", after, limit: 3 }, plan);
          seen.push(...rows.map((r) => r.id));
          if (rows.length < 3) break;
          const last = rows[rows.length - 1]!;
          after = { key: sortKeyOf(last, "name"), id: last.id };
        }
        expect(seen, `${q} by ${name}`).toEqual(await rule(q.trim()));
      }
      for (const [tag, q] of tagged) {
        const seen: string[] = [];
        let after: Keyset | undefined;
        for (;;) {
          const filter = { tenantId, memberId: satoId, tag, search: q === undefined ? undefined : searchQuery(q), sort: "name" as const, after, limit: 3 };
          const rows = await contactRepository.list(h.server.db, filter, plan);
          seen.push(...rows.map((r) => r.id));
          if (rows.length < 3) break;
          const last = rows[rows.length - 1]!;
          after = { key: sortKeyOf(last, "name"), id: last.id };
        }
        const want = await rule(q, tag);
        expect(seen, `tag ${tag}, ${q ?? "no search"} by ${name}`).toEqual(want);
        if (tag === "展示会" && q === undefined) expect(want.length).toBeGreaterThan(3);
      }
    });
  }

  it("finds a contact by its tags as soon as they are edited, removed, or the contact is deleted and restored", async () => {
    const satoId = await memberId(h, "sato@demo.example");
    const [{ tenant_id: tenantId }] = (await h.server.db.query<{ tenant_id: string }>("SELECT tenant_id FROM members WHERE id = $1", [satoId])) as [{ tenant_id: string }];
    // A name an array literal would misread, unless quoted.
    const odd = 'a,b {c} "d"\\';
    const made = await addManual(sato, { contactName: { lastName: "鈴木", firstName: "retag", phoneticLastName: "すずき" }, tags: { company: ["展示会"] } });
    const found = async (tag: string) => {
      const ways = await Promise.all(plans.map(([, plan]) => contactRepository.list(h.server.db, { tenantId, memberId: satoId, tag, sort: "name", limit: 1000 }, plan)));
      const want = await rule(undefined, tag);
      for (const rows of ways) expect(rows.map((r) => r.id)).toEqual(want);
      return want.includes(made.contactId);
    };
    const edit = async (body: unknown) => {
      const current = (await sato.get(`/api/v1/contacts/${made.contactId}`)).json as { version: number };
      const res = await sato.request("PATCH", `/api/v1/contacts/${made.contactId}`, body, { "if-match": `"${current.version}"` });
      expect(res.status, res.text).toBe(200);
    };
    expect(await found("展示会")).toBe(true);
    await edit({ tags: { company: [odd], mine: ["展示会"] } });
    expect(await found(odd)).toBe(true);
    expect(await found("展示会")).toBe(true);
    await edit({ tags: { company: [], mine: [] } });
    expect(await found(odd)).toBe(false);
    expect(await found("展示会")).toBe(false);
    await edit({ tags: { company: [odd] } });
    expect((await sato.delete(`/api/v1/contacts/${made.contactId}`)).status).toBe(204);
    expect(await found(odd)).toBe(false);
    expect((await sato.post(`/api/v1/contacts/${made.contactId}/restore`)).status).toBe(200);
    expect(await found(odd)).toBe(true);
  });
});
