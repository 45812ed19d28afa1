import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { addManual, bootContactsServer, client, type ContactsTestServer } from "./test-support.ts";

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
  // Not visible to sato: must never appear, whichever way the page is found.
  await addManual(kim, { contactName: { lastName: "田中", firstName: "kim", phoneticLastName: "あたなか" }, emails: [{ email: "tanaka-kim@example.com" }] });
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
