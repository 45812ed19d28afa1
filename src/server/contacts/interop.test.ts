import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { csvCell } from "./admin-routes.ts";
import { addManual, bootContactsServer, client, memberId, type ContactsTestServer } from "./test-support.ts";

let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
let admin: ApiClient;

beforeAll(async () => {
  h = await bootContactsServer();
  [sato, kim, admin] = await Promise.all([client(h, "sato@demo.example"), client(h, "kim@demo.example"), client(h, "admin@demo.example")]);
});
afterAll(async () => {
  await h?.stop();
});

const postCards = (api: ApiClient, text: string) =>
  api.request("POST", "/api/v1/contacts/import", new TextEncoder().encode(text), { "content-type": "text/vcard; charset=utf-8" });

/** Starts an import (202), lets its job run to the end, and answers the finished import. */
async function importCards(api: ApiClient, text: string) {
  const started = await postCards(api, text);
  expect(started.status).toBe(202);
  expect(started.headers.get("location")).toBe(`/api/v1/contacts/imports/${started.json.importId}`);
  await h.drain();
  const finished = await api.get(`/api/v1/contacts/imports/${started.json.importId}`);
  expect(finished.status).toBe(200);
  return finished.json;
}

/** The contacts a member owns that a search finds. */
async function ownedMatches(api: ApiClient, login: string, q: string) {
  const owner = await memberId(h, login);
  const items = (await api.get(`/api/v1/contacts?q=${encodeURIComponent(q)}&limit=100`)).json.items as { contactId: string; permission: { ownerId: string } }[];
  return items.filter((c) => c.permission.ownerId === owner);
}

const FULL = {
  contactName: { lastName: "高橋", firstName: "美咲", phoneticLastName: "たかはし", phoneticFirstName: "みさき", nickName: "みさきち" },
  emails: [
    { type: "WORK", email: "misaki@takahashi.example", primary: true },
    { type: "HOME", email: "misaki.home@example.jp", primary: false },
    { type: "OTHER", email: "m@other.example", primary: false },
  ],
  telephones: [
    { type: "MOBILE", telephone: "+81 90-1111-2222", primary: true },
    { type: "FAX", telephone: "03-3333-4444", primary: false },
    { type: "WORK", telephone: "03-5555-6666", primary: false },
  ],
  organizations: [
    { name: "高橋商事; 本社", department: "海外事業部", title: "Director, APAC" },
    { name: "Side Co", department: "", title: "" },
  ],
  addresses: [{ type: "WORK", country: "日本", postalCode: "150-0001", region: "東京都", locality: "渋谷区", street: "神宮前1-2-3", primary: true }],
  websites: [{ type: "WORK", url: "https://takahashi.example/ja" }],
  memo: "Line 1\nLine 2, with comma; and semicolon\\backslash",
  tags: { company: ["VIP", "取引先"], mine: [] },
};

describe("vCard 4.0", () => {
  it("round-trips a contact: export, import, same fields", async () => {
    const c = await addManual(sato, FULL);
    const res = await fetch(new URL(`/api/v1/contacts/${c.contactId}/vcard`, h.url), { headers: { cookie: sato.cookie } });
    expect(res.headers.get("content-type")).toContain("text/vcard");
    const vcf = await res.text();
    expect(vcf).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
    expect(vcf).toContain(`UID:urn:uuid:${c.contactId}`);

    const imported = await importCards(kim, vcf);
    expect(imported).toMatchObject({ state: "finished", total: 1, done: 1, imported: 1, failed: 0, skipped: [] });
    const [copyItem] = await ownedMatches(kim, "kim@demo.example", "misaki@takahashi.example");
    const copy = (await kim.get(`/api/v1/contacts/${copyItem!.contactId}`)).json;
    const original = (await sato.get(`/api/v1/contacts/${c.contactId}`)).json;
    const fields = (x: Record<string, unknown>) => ({
      contactName: x.contactName,
      emails: x.emails,
      telephones: x.telephones,
      organizations: x.organizations,
      addresses: x.addresses,
      websites: x.websites,
      memo: x.memo,
      companyTags: (x.tags as { company: string[] }).company,
    });
    expect(fields(copy)).toEqual(fields(original));
    expect(copy.permission.ownerId).toBe(await memberId(h, "kim@demo.example"));
  });

  it("exports every visible contact (or the chosen ones) and never someone else's", async () => {
    const mine = await addManual(sato, { contactName: { lastName: "Export Me" } });
    const hidden = await addManual(kim, { contactName: { lastName: "Kim Private" } });
    const all = await sato.post("/api/v1/contacts/export", {});
    expect(all.status).toBe(200);
    expect(all.text).toContain("Export Me");
    expect(all.text).not.toContain("Kim Private");
    expect(all.text.match(/BEGIN:VCARD/g)!.length).toBe((await sato.get("/api/v1/contacts?limit=100")).json.items.length);
    expect((await sato.post("/api/v1/contacts/export", { ids: [hidden.contactId] })).status).toBe(404);
    const chosen = await sato.post("/api/v1/contacts/export", { ids: [mine.contactId] });
    expect(chosen.text.match(/BEGIN:VCARD/g)).toHaveLength(1);
  });

  it("downloads by plain GET link: the chosen ids (comma-separated) or everything I see, as an attachment", async () => {
    const a = await addManual(sato, { contactName: { lastName: "Link One" } });
    const b = await addManual(sato, { contactName: { lastName: "Link Two" } });
    const hidden = await addManual(kim, { contactName: { lastName: "Kim Link" } });
    const download = (query: string) => fetch(new URL(`/api/v1/contacts/export${query}`, h.url), { headers: { cookie: sato.cookie } });
    const chosen = await download(`?ids=${a.contactId},${b.contactId}`);
    expect(chosen.status).toBe(200);
    expect(chosen.headers.get("content-disposition")).toMatch(/^attachment; filename="contacts\.vcf"/);
    const text = await chosen.text();
    expect(text.match(/^FN:.*$/gm)!.sort()).toEqual(["FN:Link One", "FN:Link Two"]);
    const all = await (await download("")).text();
    expect(all).toContain("FN:Link One");
    expect(all).not.toContain("Kim Link");
    expect((await download(`?ids=${hidden.contactId}`)).status).toBe(404);
    expect((await download("?ids=not-an-id")).status).toBe(400);
    const doc = await (await fetch(new URL("/api/openapi.json", h.url))).json();
    expect(Object.keys(doc.paths["/api/v1/contacts/export"])).toEqual(expect.arrayContaining(["get", "post"]));
  });

  it("imports card by card: a broken or unreachable card is reported, the others are created", async () => {
    const text = [
      "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Good One\r\nN:One;Good;;;\r\nEMAIL;TYPE=work:good@example.com\r\nEND:VCARD",
      "BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD",
      "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bad Mail\r\nEMAIL:not-an-email\r\nEND:VCARD",
      "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Old Style\r\nN:Style;Old;;;\r\nTEL;TYPE=CELL:+1 555 0100\r\nEND:VCARD",
    ].join("\r\n");
    const res = await importCards(sato, text);
    expect(res).toMatchObject({ state: "finished", total: 4, done: 4, imported: 2, failed: 2 });
    expect(res.skipped.map((x: { index: number; name: string }) => [x.index, x.name])).toEqual([
      [1, ""],
      [2, "Bad Mail"],
    ]);
    expect(res.skipped[0].problems).toEqual([expect.objectContaining({ code: "contact_empty" })]);
    expect(res.skipped[1].errors.join()).toContain("emails.0.email");
    expect(res.skipped[1].problems).toEqual([expect.objectContaining({ path: "emails.0.email", code: "invalid_format", params: { format: "email", origin: "string" } })]);
    const [oldStyle] = await ownedMatches(sato, "sato@demo.example", "Style");
    const old = (await sato.get(`/api/v1/contacts/${oldStyle!.contactId}`)).json;
    expect(old.telephones).toEqual([{ type: "MOBILE", telephone: "+1 555 0100", primary: false }]);
    expect((await sato.request("POST", "/api/v1/contacts/import", { a: 1 })).status).toBe(415);
    expect((await postCards(sato, "hello")).status).toBe(400);
  });

  it("writes an import's cards together, each owned and audited as one added by hand, with the audience its access rows give", async () => {
    const count = 120;
    const text = Array.from({ length: count }, (_, i) => `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Together ${i}\r\nN:Together;${i};;;\r\nEMAIL:together-${i}@example.com\r\nCATEGORIES:Batch${i % 3}\r\nEND:VCARD`).join("\r\n");
    expect(await importCards(kim, text)).toMatchObject({ state: "finished", total: count, imported: count, failed: 0 });
    const kimId = await memberId(h, "kim@demo.example");
    const rows = await h.server.db.query<{ owner_id: string; audience: string[]; adds: number; tags: string[] }>(
      `SELECT c.owner_id, c.audience,
              (SELECT count(*) FROM audit_log l WHERE l.target_id = c.id::text AND l.action = 'contact.add' AND l.detail->>'source' = 'import')::int AS adds,
              ARRAY(SELECT t.name FROM contact_tags t WHERE t.contact_id = c.id) AS tags
         FROM contacts c WHERE c.last_name = 'Together'`,
    );
    expect(rows).toHaveLength(count);
    for (const r of rows) {
      expect(r.owner_id).toBe(kimId);
      expect(r.adds).toBe(1);
      expect(r.tags).toHaveLength(1);
    }
    // Every contact's stored audience and owner are what its access rows say (0014's rule), however it was written.
    const [drift] = await h.server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM contacts WHERE audience IS DISTINCT FROM contact_audience(id, tenant_id, access_range) OR owner_id IS DISTINCT FROM contact_owner(id)",
    );
    expect(drift!.n).toBe(0);
    // And Kim finds them; Sato, who was not given them, does not.
    expect((await ownedMatches(kim, "kim@demo.example", "Together")).length).toBe(100);
    expect((await sato.get("/api/v1/contacts?q=Together")).json.items).toHaveLength(0);
  });

  it("takes only http(s) websites, from the API and from vCards, and no NUL from a vCard", async () => {
    for (const url of ["javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "file:///etc/passwd"]) {
      const res = await sato.post("/api/v1/contacts", { contactName: { lastName: "Site" }, emails: [{ email: "site@example.com" }], websites: [{ url }] });
      expect(`${url}: ${res.status}`).toBe(`${url}: 400`);
      expect(res.json.errors).toContainEqual(expect.objectContaining({ path: "websites.0.url", message: expect.stringMatching(/http|URL/) }));
    }
    expect((await sato.post("/api/v1/contacts", { contactName: { lastName: "Site" }, emails: [{ email: "site@example.com" }], websites: [{ url: "HTTPS://ok.example/" }] })).status).toBe(201);
    const res = await importCards(sato, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Script Site\r\nN:Site;Script;;;\r\nEMAIL:s@example.com\r\nURL:javascript:alert(1)\r\nEND:VCARD");
    expect(res).toMatchObject({ state: "finished", total: 1, imported: 0, failed: 1 });
    expect(res.skipped[0].errors.join()).toContain("websites.0.url");
    // A file the database could not even keep while importing it is refused whole, and nothing starts.
    const nul = await postCards(sato, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Nul\r\nN:Nul\u0000x;A;;;\r\nEMAIL:n@example.com\r\nEND:VCARD");
    expect(nul.status).toBe(400);
    expect(nul.json.errors).toContainEqual(expect.objectContaining({ path: "(body)", message: expect.stringContaining("NUL"), code: "invalid_text" }));
  });
});

describe("audit log", () => {
  it("records add, view, edit, tags, delete, restore and permanent delete, searchable and as CSV", async () => {
    const c = await addManual(sato, { contactName: { lastName: "=HYPERLINK(\"x\")" }, emails: [{ email: "audit@example.com" }] });
    await sato.get(`/api/v1/contacts/${c.contactId}`);
    const edited = await sato.request("PATCH", `/api/v1/contacts/${c.contactId}`, { memo: "m", tags: { company: ["t1"] } }, { "if-match": `"${c.version}"` });
    expect(edited.status).toBe(200);
    await sato.delete(`/api/v1/contacts/${c.contactId}`);
    await sato.post(`/api/v1/contacts/${c.contactId}/restore`);
    await sato.delete(`/api/v1/contacts/${c.contactId}`);
    await sato.delete(`/api/v1/contacts/${c.contactId}/permanent`);

    expect((await sato.get("/api/v1/admin/audit")).status).toBe(403);
    const log = await admin.get(`/api/v1/admin/audit?target=${c.contactId}`);
    expect(log.status).toBe(200);
    const actions = log.json.items.map((e: { action: string }) => e.action).reverse();
    expect(actions).toEqual([
      "contact.add",
      "contact.view",
      "contact.edit",
      "contact.tags",
      "contact.delete",
      "contact.restore",
      "contact.delete",
      "contact.permanent_delete",
    ]);
    expect(log.json.items[0].actor).toEqual({ id: await memberId(h, "sato@demo.example"), displayName: "佐藤 花子" });
    expect((await admin.get(`/api/v1/admin/audit?target=${c.contactId}&action=contact.view`)).json.items).toHaveLength(1);
    expect((await admin.get(`/api/v1/admin/audit?q=${encodeURIComponent("佐藤")}&target=${c.contactId}`)).json.items).toHaveLength(8);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await admin.get(`/api/v1/admin/audit?from=${encodeURIComponent(future)}`)).json.items).toEqual([]);
    const paged = await admin.get(`/api/v1/admin/audit?target=${c.contactId}&limit=5`);
    const rest = await admin.get(`/api/v1/admin/audit?target=${c.contactId}&limit=5&cursor=${paged.json.nextCursor}`);
    expect(paged.json.items.length + rest.json.items.length).toBe(8);

    const csv = await fetch(new URL(`/api/v1/admin/audit.csv?target=${c.contactId}`, h.url), { headers: { cookie: admin.cookie } });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const body = await csv.text();
    const lines = body.replace(/^\uFEFF/, "").trim().split("\r\n");
    expect(lines[0]).toBe("time,actor_id,actor_name,action,target_type,target_id,target_name,detail");
    expect(lines).toHaveLength(9);
    expect(body).toContain('"佐藤 花子"');
  });

  it("neutralises spreadsheet formulas in CSV cells", () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell("plain")).toBe('"plain"');
  });
});
