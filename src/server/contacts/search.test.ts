import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { searchColumns } from "./search-text.ts";
import { addManual, befriendAs, bootContactsServer, client, lineUserFollowing, type ContactsTestServer } from "./test-support.ts";

describe("search columns (unit)", () => {
  it("sorts by reading when there is one", () => {
    const base = { nickName: "", organizations: [], emails: [], telephones: [] };
    expect(searchColumns({ ...base, lastName: "山田", firstName: "太郎", phoneticLastName: "ヤマダ", phoneticFirstName: "タロウ" }).sortName).toBe("やまだたろう");
  });
});

let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
const made: Record<string, string> = {};

beforeAll(async () => {
  h = await bootContactsServer();
  [sato, kim] = await Promise.all([client(h, "sato@demo.example"), client(h, "kim@demo.example")]);
  const add = async (key: string, body: Record<string, unknown>) => (made[key] = (await addManual(sato, body)).contactId);
  await add("yamada", {
    contactName: { lastName: "山田", firstName: "太郎", phoneticLastName: "やまだ", phoneticFirstName: "たろう" },
    organizations: [{ name: "株式会社つなぐ", department: "営業部", title: "課長" }],
    telephones: [{ type: "WORK", telephone: "+81 3-1234-5678", primary: true }],
    tags: { company: ["取引先"], mine: ["重要"] },
  });
  await add("kim", {
    contactName: { lastName: "김", firstName: "민수", nickName: "민수씨" },
    organizations: [{ name: "삼성전자" }],
    emails: [{ email: "minsu.kim@samsung.example" }],
  });
  await add("smith", {
    contactName: { lastName: "Smith", firstName: "Anna" },
    emails: [{ email: "anna@acme.example", primary: true }],
    telephones: [{ telephone: "(415) 555-0199" }],
    tags: { company: ["partner"] },
  });
  await add("mobile", { contactName: { lastName: "Mobile" }, telephones: [{ telephone: "+81 90-1111-2222" }] });
  await add("national", { contactName: { lastName: "National" }, telephones: [{ telephone: "090-3333-4444" }] });
  for (let i = 0; i < 5; i++) await add(`page${i}`, { contactName: { lastName: `Page ${i}` }, emails: [{ email: `page${i}@paging.example` }] });
  // Kim's own contact: never in Sato's results.
  await addManual(kim, { contactName: { lastName: "山田", firstName: "花子" }, emails: [{ email: "hanako@kim-only.example" }] });
});
afterAll(async () => {
  await h?.stop();
});

const search = async (q: string, extra = "") =>
  (await sato.get(`/api/v1/contacts?q=${encodeURIComponent(q)}${extra}`)).json.items.map((c: { contactId: string }) => c.contactId) as string[];

describe("contact search", () => {
  it("finds Japanese and Korean by name, reading, nickname and company, partially", async () => {
    expect(await search("山田")).toEqual([made.yamada]);
    expect(await search("山田 太郎")).toEqual([made.yamada]);
    expect(await search("山田太郎")).toEqual([made.yamada]);
    expect(await search("やまだ")).toEqual([made.yamada]);
    expect(await search("ヤマダ")).toEqual([made.yamada]);
    expect(await search("つなぐ")).toEqual([made.yamada]);
    expect(await search("営業")).toEqual([made.yamada]);
    expect(await search("민수")).toEqual([made.kim]);
    expect(await search("민수씨")).toEqual([made.kim]);
    expect(await search("삼성")).toEqual([made.kim]);
    expect(await search("ANNA")).toEqual([made.smith]);
  });

  it("finds phones by ≥ 4 digits ignoring separators, and e-mails partially", async () => {
    expect(await search("1234-5678")).toEqual([made.yamada]);
    expect(await search("12345678")).toEqual([made.yamada]);
    expect(await search("0199")).toEqual([made.smith]);
    expect(await search("555 0199")).toEqual([made.smith]);
    expect(await search("019")).toEqual([]);
    // Any common format of a full number: national with or without separators, E.164, spaced.
    for (const q of ["03-1234", "0312345678", "+81 3-1234-5678", "+81312345678", "＋８１ ３ １２３４"]) expect(await search(q)).toEqual([made.yamada]);
    for (const q of ["090-1111", "09011112222", "+81 90-1111-2222", "+819011112222", "(090) 1111 2222"]) expect(await search(q)).toEqual([made.mobile]);
    // Stored without a country code: a full international query finds it by its national form.
    for (const q of ["090-3333-4444", "+81 90-3333-4444"]) expect(await search(q)).toEqual([made.national]);
    expect(await search("acme.exa")).toEqual([made.smith]);
    expect(await search("samsung")).toEqual([made.kim]);
    // LIKE wildcards in the query are literal.
    expect(await search("%")).toEqual([]);
  });

  it("re-derives the search columns of contacts stored before the normalizer read phone numbers (0015's job)", async () => {
    const old = await addManual(sato, { contactName: { lastName: "Stored before" }, telephones: [{ telephone: "+81 90-7777-8888" }] });
    // As 0014 and earlier wrote it: the digits as typed only.
    await h.server.db.query("UPDATE contacts SET search_digits = '819077778888' WHERE id = $1", [old.contactId]);
    expect(await search("090-7777")).toEqual([]);
    await h.server.db.query("INSERT INTO jobs (kind, payload) VALUES ('contacts.search-refresh', '{}')");
    await h.drain();
    expect(await search("090-7777")).toEqual([old.contactId]);
    expect((await sato.get(`/api/v1/contacts/${old.contactId}`)).json.version).toBe(old.version);
  });

  it("filters by company tag or the caller's own tag, and by the LINE tab", async () => {
    const tagged = async (tag: string) =>
      (await sato.get(`/api/v1/contacts?tag=${encodeURIComponent(tag)}`)).json.items.map((c: { contactId: string }) => c.contactId);
    expect(await tagged("取引先")).toEqual([made.yamada]);
    expect(await tagged("重要")).toEqual([made.yamada]);
    expect(await tagged("partner")).toEqual([made.smith]);
    expect((await kim.get(`/api/v1/contacts?tag=${encodeURIComponent("重要")}`)).json.items).toEqual([]);

    const { lineUserId } = await lineUserFollowing(h, "山田 LINE");
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
    const lineContact = (await sato.post(`/api/v1/rooms/${roomId}/contact`)).json.contact.contactId;
    expect(await search("山田", "&tab=line")).toEqual([lineContact]);
    expect((await search("山田")).sort()).toEqual([made.yamada, lineContact].sort());
  });

  it("pages with an opaque keyset cursor in every sort, without gaps or repeats", async () => {
    const all = new Set(Object.values(made));
    for (const sort of ["name", "created", "modified"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { json: { items: { contactId: string; contactName: { lastName: string } }[]; nextCursor: string | null } } = await sato.get(
          `/api/v1/contacts?sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        );
        seen.push(...res.json.items.map((c) => c.contactId));
        cursor = res.json.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of all) expect(seen).toContain(id);
    }
    const byName = (await sato.get("/api/v1/contacts?sort=name&q=page")).json.items.map((c: { contactName: { lastName: string } }) => c.contactName.lastName);
    expect(byName).toEqual(["Page 0", "Page 1", "Page 2", "Page 3", "Page 4"]);
    expect((await sato.get("/api/v1/contacts?cursor=garbage")).status).toBe(400);
  });
});
