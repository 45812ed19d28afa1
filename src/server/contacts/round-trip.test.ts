import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { TINY_PNG, addManual, befriendAs, bootContactsServer, client, lineUserFollowing, memberId, type ContactsTestServer } from "./test-support.ts";

// Issue 14: every contact the app can hold survives vCard export → import, single downloads are
// named after the contact, the audit log names exactly what changed, and its CSV shows names.

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

type ContactJson = Record<string, unknown> & { contactId: string; version: number; tags: { company: string[] } };

/** A LINE user befriends Sato, who adds them from the room: name and nickname are the LINE name. */
async function lineContact(displayName: string): Promise<ContactJson> {
  const { lineUserId } = await lineUserFollowing(h, displayName, TINY_PNG([20, 120, 220]));
  const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
  const added = await sato.post(`/api/v1/rooms/${roomId}/contact`);
  expect(added.status).toBe(201);
  return added.json.contact;
}

async function patch(api: ApiClient, c: { contactId: string; version: number }, body: Record<string, unknown>): Promise<ContactJson> {
  const res = await api.request("PATCH", `/api/v1/contacts/${c.contactId}`, body, { "if-match": `"${c.version}"` });
  expect(res.status).toBe(200);
  return res.json;
}

const download = (api: ApiClient, path: string) => fetch(new URL(path, h.url), { headers: { cookie: api.cookie } });

/** What a vCard carries: everything but the LINE link, the photo, sharing and timestamps. */
const cardFields = (x: Record<string, unknown>) => ({
  contactName: x.contactName,
  emails: x.emails,
  telephones: x.telephones,
  organizations: x.organizations,
  addresses: x.addresses,
  websites: x.websites,
  memo: x.memo,
  companyTags: (x.tags as { company: string[] }).company,
});

describe("vCard round trip of every kind of contact", () => {
  it("re-imports each exported contact as the same contact, and names single downloads after it", async () => {
    const line = await lineContact("박서준");
    const lineEdited = await patch(sato, await lineContact("LINE 田中"), {
      contactName: { lastName: "田中", firstName: "一郎", phoneticLastName: "たなか", phoneticFirstName: "いちろう" },
      organizations: [{ name: "田中商店", department: "営業", title: "部長" }],
      memo: "LINE で知り合った",
      tags: { company: ["LINE経由"] },
    });
    const korean = await addManual(sato, { contactName: { lastName: "김", firstName: "지우" }, telephones: [{ type: "MOBILE", telephone: "010-1234-5678", primary: true }] });
    const emailOnly = await addManual(sato, { contactName: { lastName: "Smith", firstName: "Anna" }, telephones: [], emails: [{ type: "WORK", email: "anna@example.com", primary: true }] });
    const full = await addManual(sato, {
      contactName: { lastName: "高橋", firstName: "美咲", phoneticLastName: "たかはし", phoneticFirstName: "みさき", nickName: "みさきち" },
      emails: [{ type: "HOME", email: "misaki@example.jp", primary: false }],
      telephones: [{ type: "FAX", telephone: "03-3333-4444", primary: true }],
      addresses: [{ type: "HOME", country: "日本", postalCode: "150-0001", region: "東京都", locality: "渋谷区", street: "神宮前1-2-3", primary: true }],
      websites: [{ type: "OTHER", url: "https://misaki.example/" }],
      memo: "a; b, c\\d\nsecond line",
      tags: { company: ["VIP"] },
    });
    const kinds = [
      { label: "박서준", contact: line },
      { label: "田中 一郎", contact: lineEdited },
      { label: "김지우", contact: korean },
      { label: "Smith Anna", contact: emailOnly },
      { label: "高橋 美咲", contact: full },
    ];

    const cards: string[] = [];
    for (const { label, contact } of kinds) {
      const res = await download(sato, `/api/v1/contacts/${contact.contactId}/vcard`);
      expect(res.status).toBe(200);
      // An ASCII fallback for old clients, the real name in RFC 5987's filename*.
      expect(res.headers.get("content-disposition")).toBe(
        `attachment; filename="${label.replace(/[^\x20-\x7e]/g, "_")}.vcf"; filename*=UTF-8''${encodeURIComponent(label)}.vcf`,
      );
      const vcf = await res.text();
      expect(vcf).toContain(`FN:${label}\r\n`);
      cards.push(vcf);
    }
    // The GET link of the list names a single chosen contact the same way.
    const one = await download(sato, `/api/v1/contacts/export?ids=${korean.contactId}`);
    expect(one.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent("김지우")}.vcf`);

    // Kim imports the five cards in one file: every one is taken, none skipped.
    const started = await kim.request("POST", "/api/v1/contacts/import", new TextEncoder().encode(cards.join("")), { "content-type": "text/vcard" });
    expect(started.status).toBe(202);
    await h.drain();
    const report = (await kim.get(`/api/v1/contacts/imports/${started.json.importId}`)).json;
    expect(report).toMatchObject({ state: "finished", total: 5, imported: 5, failed: 0, skipped: [] });

    const kimId = await memberId(h, "kim@demo.example");
    const mine = ((await kim.get("/api/v1/contacts?limit=100")).json.items as ContactJson[]).filter(
      (c) => (c.permission as { ownerId: string }).ownerId === kimId,
    );
    expect(mine).toHaveLength(5);
    for (const { contact } of kinds) {
      const original = (await sato.get(`/api/v1/contacts/${contact.contactId}`)).json;
      const copy = mine.find((c) => JSON.stringify(c.contactName) === JSON.stringify(original.contactName));
      expect(copy, JSON.stringify(original.contactName)).toBeDefined();
      expect(cardFields((await kim.get(`/api/v1/contacts/${copy!.contactId}`)).json)).toEqual(cardFields(original));
    }
  });

  it("skips only a card that says nothing about who it is, and words why by code", async () => {
    const started = await kim.request(
      "POST",
      "/api/v1/contacts/import",
      new TextEncoder().encode("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Only A Name\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nNOTE:nothing else\r\nEND:VCARD\r\n"),
      { "content-type": "text/vcard" },
    );
    await h.drain();
    const report = (await kim.get(`/api/v1/contacts/imports/${started.json.importId}`)).json;
    expect(report).toMatchObject({ imported: 1, failed: 1 });
    expect(report.skipped).toEqual([{ index: 1, name: "", errors: [expect.any(String)], problems: [expect.objectContaining({ code: "contact_empty" })] }]);
    const found = (await kim.get(`/api/v1/contacts?q=${encodeURIComponent("Only A Name")}`)).json.items;
    expect(found.map((c: ContactJson) => c.contactName)).toEqual([expect.objectContaining({ lastName: "Only A Name", firstName: "" })]);
  });
});

describe("audit log", () => {
  it("names exactly the fields an edit changed, though the form sends them all", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Audit", firstName: "Exact" }, emails: [{ email: "exact@example.com" }], memo: "before" });
    const current = (await sato.get(`/api/v1/contacts/${c.contactId}`)).json;
    // What the edit form sends: every field, with only the memo changed (keys in another order than stored).
    const { contactName, emails, telephones, organizations, addresses, websites } = current;
    const reordered = emails.map((e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).reverse()));
    await patch(sato, current, { contactName, emails: reordered, telephones, organizations, addresses, websites, memo: "after" });
    const unchanged = (await sato.get(`/api/v1/contacts/${c.contactId}`)).json;
    // Saving again with nothing changed is no edit at all.
    await patch(sato, unchanged, { contactName, emails, memo: "after" });

    const edits = (await admin.get(`/api/v1/admin/audit?target=${c.contactId}&action=contact.edit`)).json.items;
    expect(edits.map((e: { detail: unknown }) => e.detail)).toEqual([{ fields: ["memo"] }]);
    expect((await sato.get(`/api/v1/contacts/${c.contactId}`)).json.version).toBe(unchanged.version);
  });

  it("shows owner changes and member entries by name in the CSV", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Owner", firstName: "Moves" } });
    const kimId = await memberId(h, "kim@demo.example");
    expect((await admin.put(`/api/v1/admin/contacts/${c.contactId}/owner`, { ownerId: kimId })).status).toBe(200);
    const created = await admin.post("/api/v1/members", { loginId: "lee", email: "lee@demo.example", displayName: "이서연", password: "lee-password-12" });
    expect(created.status).toBe(201);

    const csv = async (query: string) => {
      const res = await download(admin, `/api/v1/admin/audit.csv?${query}`);
      expect(res.headers.get("content-type")).toContain("text/csv");
      return (await res.text()).replace(/^\uFEFF/, "").trim().split("\r\n").slice(1);
    };
    const [ownerRow] = await csv(`target=${c.contactId}&action=contact.owner`);
    expect(ownerRow).toContain('"Owner Moves"');
    expect(ownerRow).toContain('""from"":""佐藤 花子""');
    expect(ownerRow).toContain('""to"":""김민준""');
    expect(ownerRow).not.toContain(kimId);
    const [memberRow] = await csv(`target=${created.json.id}`);
    expect(memberRow).toContain('"member.create","member"');
    expect(memberRow).toContain('"이서연"');
  });
});

describe("admin contact list", () => {
  it("shows LINE photos through the admin API, to administrators only", async () => {
    const c = await lineContact("Photo Person");
    const list = (await admin.get("/api/v1/admin/contacts?filter=line&limit=100")).json.items as ContactJson[];
    const listed = list.find((x) => x.contactId === c.contactId)!;
    expect(listed.photoUrl).toMatch(new RegExp(`^/api/v1/admin/contacts/${c.contactId}/photo\\?v=`));
    const photo = await download(admin, listed.photoUrl as string);
    expect(photo.status).toBe(200);
    expect(new Uint8Array(await photo.arrayBuffer())).toEqual(TINY_PNG([20, 120, 220]));
    expect((await download(sato, listed.photoUrl as string)).status).toBe(403);
  });
});
