import ICAL from "ical.js";
import { createDAVClient, type DAVAddressBook } from "tsdav";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, signedIn, type ApiClient } from "../../../test/support/server.ts";
import { addManual, befriendAs, bootContactsServer, client, lineUserFollowing, memberId, type ContactsTestServer } from "../contacts/test-support.ts";

/**
 * The address book driven by tsdav, a real CardDAV client library, against a real server: the
 * discovery a client does from a bare host name, the cards it fetches, and its syncs (CTag and
 * RFC 6578 sync-collection) while contacts are shared, moved to the Trash and hidden.
 */
type Dav = Awaited<ReturnType<typeof createDAVClient>>;

let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
let smith: ApiClient;
let satoSecret: string;

async function appPassword(api: ApiClient, label = "test device") {
  const res = await api.post("/api/v1/me/app-passwords", { label });
  expect(res.status).toBe(201);
  return res.json as { appPassword: { id: string }; secret: string };
}

const davClient = (username: string, password: string) =>
  createDAVClient({ serverUrl: h.url, credentials: { username, password }, authMethod: "Basic", defaultAccountType: "carddav" });

async function bookOf(dav: Dav): Promise<DAVAddressBook> {
  const books = await dav.fetchAddressBooks();
  expect(books).toHaveLength(1);
  return books[0]!;
}

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;

/** A raw WebDAV request, for what tsdav does not wrap (or wraps too kindly to see the status). */
const raw = (path: string, init: { method: string; auth?: string; body?: string; headers?: Record<string, string> }) =>
  fetch(new URL(path, h.url), {
    method: init.method,
    headers: { ...(init.auth ? { authorization: init.auth } : {}), ...(init.body ? { "content-type": "application/xml" } : {}), ...init.headers },
    body: init.body,
    redirect: "manual",
  });

function parseCard(data: string) {
  const card = new ICAL.Component(ICAL.parse(data) as unknown as unknown[]);
  return { version: String(card.getFirstPropertyValue("version")), fn: String(card.getFirstPropertyValue("fn")), uid: String(card.getFirstPropertyValue("uid")) };
}

const idOfUrl = (url: string) => /([0-9a-f-]{36})\.vcf$/.exec(url)?.[1];

async function cardIds(dav: Dav) {
  const cards = await dav.fetchVCards({ addressBook: await bookOf(dav) });
  return cards.map((c) => idOfUrl(c.url)).sort();
}

async function listedIds(api: ApiClient) {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await api.get(`/api/v1/contacts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(res.status).toBe(200);
    ids.push(...res.json.items.map((i: { contactId: string }) => i.contactId));
    cursor = res.json.nextCursor;
  } while (cursor);
  return ids.sort();
}

async function shareWith(owner: ApiClient, contactId: string, members: string[]) {
  const res = await owner.put(`/api/v1/contacts/${contactId}/permission`, {
    accessibleRange: "MEMBER",
    isCoEditing: false,
    accessibleMembers: members.map((id) => ({ type: "MEMBER", id })),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  h = await bootContactsServer();
  sato = await client(h, "sato@demo.example");
  kim = await client(h, "kim@demo.example");
  smith = await client(h, "smith@demo.example");
  satoSecret = (await appPassword(sato, "Sato's phone")).secret;
});
afterAll(async () => {
  await h?.stop();
});

describe("discovery and cards", () => {
  it("finds the address book from the bare server URL and serves every visible contact as a vCard", async () => {
    const yamada = await addManual(sato, { contactName: { lastName: "山田", firstName: "太郎" }, emails: [{ email: "taro@acme.example", type: "WORK", primary: true }] });
    const company = await addManual(sato, { contactName: { lastName: "Everyone's", firstName: "Supplier" }, permission: { accessibleRange: "ALL", isCoEditing: false, accessibleMembers: [] } });
    // A LINE contact (Add LINE Contact from a room) is a card like any other.
    const line = await lineUserFollowing(h, "Hanako LINE-side");
    const { roomId } = await befriendAs(h, "sato@demo.example", line.lineUserId);
    const added = await sato.post(`/api/v1/rooms/${roomId}/contact`);
    expect(added.status).toBe(201);

    const dav = await davClient("sato@demo.example", satoSecret);
    const book = await bookOf(dav);
    const satoId = await memberId(h, "sato@demo.example");
    expect(new URL(book.url).pathname).toBe(`/dav/addressbooks/${satoId}/external/`);
    expect(book.reports).toEqual(expect.arrayContaining(["addressbookMultiget", "addressbookQuery", "syncCollection"]));

    const cards = await dav.fetchVCards({ addressBook: book });
    const parsed = cards.map((c) => ({ id: idOfUrl(c.url), etag: c.etag, ...parseCard(c.data as string) }));
    const byId = new Map(parsed.map((p) => [p.id, p]));
    expect(byId.get(yamada.contactId)).toMatchObject({ fn: "山田 太郎", version: "3.0", uid: `urn:uuid:${yamada.contactId}`, etag: `"${yamada.version}"` });
    expect(byId.get(company.contactId)?.fn).toBe("Everyone's Supplier");
    expect(byId.get(added.json.contact.contactId)?.fn).toBe("Hanako LINE-side");
    // Exactly what the contacts list shows this member, no more and no less.
    expect(parsed.map((p) => p.id).sort()).toEqual(await listedIds(sato));
  });

  it("serves vCard 4.0 to a client that asks for it, the same card the vCard download gives", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Version", firstName: "Four" }, memo: "line one\nline two; with <markup> & \"quotes\"" });
    const dav = await davClient("sato@demo.example", satoSecret);
    const book = await bookOf(dav);
    const [res] = await dav.addressBookMultiGet({
      url: book.url,
      props: { "d:getetag": {}, "card:address-data": { _attributes: { "content-type": "text/vcard", version: "4.0" } } },
      objectUrls: [new URL(`${c.contactId}.vcf`, book.url).pathname],
      depth: "1",
    });
    const data = String(res!.props?.addressData?._cdata ?? res!.props?.addressData);
    const card = new ICAL.Component(ICAL.parse(data) as unknown as unknown[]);
    expect(card.getFirstPropertyValue("version")).toBe("4.0");
    expect(card.getFirstPropertyValue("note")).toBe("line one\nline two; with <markup> & \"quotes\"");
    const download = await sato.get(`/api/v1/contacts/${c.contactId}/vcard`);
    expect(download.status).toBe(200);
    expect(data.replace(/\r?\n/g, "\n").trim()).toBe(download.text.replace(/\r?\n/g, "\n").trim());

    const get = await raw(new URL(`${c.contactId}.vcf`, book.url).pathname, { method: "GET", auth: basic("sato@demo.example", satoSecret) });
    expect(get.status).toBe(200);
    expect(get.headers.get("etag")).toBe(`"${c.version}"`);
    expect(parseCard(await get.text()).version).toBe("3.0");
    const notModified = await raw(new URL(`${c.contactId}.vcf`, book.url).pathname, {
      method: "GET",
      auth: basic("sato@demo.example", satoSecret),
      headers: { "if-none-match": `"${c.version}"` },
    });
    expect(notModified.status).toBe(304);
  });

  it("answers addressbook-query with the cards its filter matches", async () => {
    await addManual(sato, { contactName: { lastName: "Filterable", firstName: "Quentin" } });
    const dav = await davClient("sato@demo.example", satoSecret);
    const book = await bookOf(dav);
    const hits = await dav.addressBookQuery({
      url: book.url,
      props: { "d:getetag": {} },
      filters: { "card:prop-filter": { _attributes: { name: "FN" }, "card:text-match": { _attributes: { "match-type": "contains" }, _text: "filterable" } } },
      depth: "1",
    });
    expect(hits).toHaveLength(1);
    expect(hits[0]!.props?.getetag).toBeTruthy();
    const none = await dav.addressBookQuery({
      url: book.url,
      props: { "d:getetag": {} },
      filters: { "card:prop-filter": { _attributes: { name: "FN" }, "card:text-match": { _attributes: { "match-type": "equals" }, _text: "Nobody At All" } } },
      depth: "1",
    });
    expect(none.filter((r) => r.href)).toEqual([]);
  });
});

describe("sync", () => {
  it("shows a contact shared later, and loses it when it moves to the Trash (CTag and sync-token)", async () => {
    const kimSecret = (await appPassword(kim)).secret;
    const dav = await davClient("kim@demo.example", kimSecret);
    const account = await dav.createAccount({ account: { serverUrl: h.url, accountType: "carddav" } });
    let book = await bookOf(dav);
    book = { ...book, objects: await dav.fetchVCards({ addressBook: book }), objectMultiGet: dav.addressBookMultiGet };
    const before = { ctag: book.ctag, syncToken: book.syncToken };
    expect(before.syncToken).toBeTruthy();

    const c = await addManual(sato, { contactName: { lastName: "Shared", firstName: "Later" } });
    // Private to Sato: Kim's address book has not changed.
    expect((await dav.isCollectionDirty({ collection: book })).isDirty).toBe(false);

    await shareWith(sato, c.contactId, [await memberId(h, "kim@demo.example")]);
    const dirty = await dav.isCollectionDirty({ collection: book });
    expect(dirty.isDirty).toBe(true);
    const synced = await dav.smartCollectionSyncDetailed({ collection: book, method: "webdav", account });
    expect(synced.objects.created.map((o) => idOfUrl(o.url))).toEqual([c.contactId]);
    expect(parseCard(synced.objects.created[0]!.data as string).fn).toBe("Shared Later");
    expect(synced.syncToken).not.toBe(before.syncToken);

    expect((await sato.delete(`/api/v1/contacts/${c.contactId}`)).status).toBe(204);
    const next = await dav.smartCollectionSyncDetailed({ collection: { ...book, syncToken: synced.syncToken }, method: "webdav", account });
    expect(next.objects.deleted.map((o) => idOfUrl(o.url))).toEqual([c.contactId]);
    expect(next.objects.created).toEqual([]);
    expect(await cardIds(dav)).not.toContain(c.contactId);

    // Nothing changed since: the sync is empty and the token stays.
    const idle = await dav.smartCollectionSyncDetailed({ collection: { ...book, syncToken: next.syncToken }, method: "webdav", account });
    expect(idle.objects).toEqual({ created: [], updated: [], deleted: [] });
    expect(idle.syncToken).toBe(next.syncToken);
  });

  it("reports an edit as an update with a new ETag", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Editable" } });
    const dav = await davClient("sato@demo.example", satoSecret);
    const account = await dav.createAccount({ account: { serverUrl: h.url, accountType: "carddav" } });
    const book = await bookOf(dav);
    const objects = await dav.fetchVCards({ addressBook: book });
    const edit = await sato.request("PATCH", `/api/v1/contacts/${c.contactId}`, { contactName: { lastName: "Edited" } }, { "if-match": `"${c.version}"` });
    expect(edit.status).toBe(200);
    const synced = await dav.smartCollectionSyncDetailed({ collection: { ...book, objects, objectMultiGet: dav.addressBookMultiGet }, method: "webdav", account });
    expect(synced.objects.updated.map((o) => [idOfUrl(o.url), o.etag])).toEqual([[c.contactId, `"${edit.json.version}"`]]);
    expect(parseCard(synced.objects.updated[0]!.data as string).fn).toBe("Edited");
  });

  it("refuses a sync token it never handed to this member", async () => {
    const dav = await davClient("sato@demo.example", satoSecret);
    const book = await bookOf(dav);
    const res = await dav.syncCollection({ url: book.url, props: { "d:getetag": {} }, syncLevel: 1, syncToken: "urn:tsunagu:sync:not-a-token" });
    expect(res[0]!.status).toBe(403);
    expect(String(res[0]!.raw)).toContain("valid-sync-token");

    // Kim's token is Kim's, even where the two address books hold the same cards.
    const kimSecret = (await appPassword(kim)).secret;
    const kimBook = await bookOf(await davClient("kim@demo.example", kimSecret));
    const stolen = await dav.syncCollection({ url: book.url, props: { "d:getetag": {} }, syncLevel: 1, syncToken: kimBook.syncToken });
    expect(stolen[0]!.status).toBe(403);
  });
});

describe("who sees what", () => {
  it("gives every member exactly the contacts the contacts list shows them", async () => {
    const priv = await addManual(sato, { contactName: { lastName: "Private", firstName: "ToSato" } });
    // Shared with the Sales team (Sato and Kim), not with Smith.
    const team = await addManual(sato, { contactName: { lastName: "Team", firstName: "Sales" } });
    const salesId = (await sato.get("/api/v1/teams")).json.items.find((t: { name: string }) => t.name === "Sales").id;
    expect(
      (await sato.put(`/api/v1/contacts/${team.contactId}/permission`, { accessibleRange: "MEMBER", isCoEditing: false, accessibleMembers: [{ type: "TEAM", id: salesId }] })).status,
    ).toBe(200);
    for (const [login, api] of [
      ["kim@demo.example", kim],
      ["smith@demo.example", smith],
      ["sato@demo.example", sato],
    ] as const) {
      const secret = login === "sato@demo.example" ? satoSecret : (await appPassword(api)).secret;
      const ids = await cardIds(await davClient(login, secret));
      expect(ids).toEqual(await listedIds(api));
      expect(ids.includes(priv.contactId)).toBe(login === "sato@demo.example");
      expect(ids.includes(team.contactId)).toBe(login !== "smith@demo.example");
    }
  });

  it("does not hand a MEMBER-private contact to another member, however it is asked for", async () => {
    const priv = await addManual(sato, { contactName: { lastName: "Secret", firstName: "Partner" } });
    const smithSecret = (await appPassword(smith)).secret;
    const dav = await davClient("smith@demo.example", smithSecret);
    const book = await bookOf(dav);
    // RFC 6352 answers a multiget href that is not there with a 404 response, which tsdav raises.
    await expect(
      dav.addressBookMultiGet({
        url: book.url,
        props: { "d:getetag": {}, "card:address-data": {} },
        objectUrls: [new URL(`${priv.contactId}.vcf`, book.url).pathname],
        depth: "1",
      }),
    ).rejects.toThrow(/404/);
    const auth = basic("smith@demo.example", smithSecret);
    const multiget = await raw(new URL(book.url).pathname, {
      method: "REPORT",
      auth,
      body: `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop><d:href>${new URL(`${priv.contactId}.vcf`, book.url).pathname}</d:href></card:addressbook-multiget>`,
    });
    expect(multiget.status).toBe(207);
    const xml = await multiget.text();
    expect(xml).toContain("HTTP/1.1 404 Not Found");
    expect(xml).not.toContain("Secret");
    expect((await raw(new URL(`${priv.contactId}.vcf`, book.url).pathname, { method: "GET", auth })).status).toBe(404);
    // Sato's own address book path does not exist for Smith.
    const satoId = await memberId(h, "sato@demo.example");
    expect((await raw(`/dav/addressbooks/${satoId}/external/${priv.contactId}.vcf`, { method: "GET", auth })).status).toBe(404);
    expect((await raw(`/dav/addressbooks/${satoId}/external/`, { method: "PROPFIND", auth, headers: { depth: "1" } })).status).toBe(404);
  });

  it("gives a member of another company nothing of ours", async () => {
    const ours = await addManual(sato, { contactName: { lastName: "Ours" }, permission: { accessibleRange: "ALL", isCoEditing: false, accessibleMembers: [] } });
    const other = await h.server.directory.createTenant({ name: "Other Company", plan: "core" });
    await h.server.directory.addMember(other, null, { loginId: "outsider", email: "outsider@other.example", displayName: "Outsider", role: "admin", password: DEMO_PASSWORD });
    const outsider = await signedIn({ url: h.url }, "outsider@other.example");
    const secret = (await appPassword(outsider)).secret;
    const dav = await davClient("outsider@other.example", secret);
    expect(await cardIds(dav)).toEqual([]);
    const satoId = await memberId(h, "sato@demo.example");
    const auth = basic("outsider@other.example", secret);
    expect((await raw(`/dav/addressbooks/${satoId}/external/${ours.contactId}.vcf`, { method: "GET", auth })).status).toBe(404);
    expect((await raw(`/dav/principals/${satoId}/`, { method: "PROPFIND", auth, headers: { depth: "0" } })).status).toBe(404);
    // The other company's own book URL with our card's file name: not there either.
    const outsiderId = (await outsider.get("/api/v1/me")).json.member.id;
    expect((await raw(`/dav/addressbooks/${outsiderId}/external/${ours.contactId}.vcf`, { method: "GET", auth })).status).toBe(404);
  });
});

describe("authentication", () => {
  it("answers 401 with a Basic challenge to a wrong app password, the sign-in password and no credentials", async () => {
    for (const auth of [basic("sato@demo.example", "wrong-secret"), basic("sato@demo.example", DEMO_PASSWORD), basic("nobody@demo.example", satoSecret), undefined]) {
      const res = await raw("/dav/", { method: "PROPFIND", auth, headers: { depth: "0" } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="Tsunagu"/);
    }
    // Another member's app password with this member's name is no key either.
    const kimSecret = (await appPassword(kim)).secret;
    expect((await raw("/dav/", { method: "PROPFIND", auth: basic("sato@demo.example", kimSecret), headers: { depth: "0" } })).status).toBe(401);
    await expect(davClient("sato@demo.example", "wrong-secret")).rejects.toThrow(/401|credentials|principal/i);
  });

  it("accepts the login ID as user name, and the secret typed without dashes in capitals", async () => {
    const res = await raw("/dav/", { method: "PROPFIND", auth: basic("sato", satoSecret.replace(/-/g, "").toUpperCase()), headers: { depth: "0" } });
    expect(res.status).toBe(207);
  });

  it("stops accepting an app password once it is revoked", async () => {
    const { appPassword: made, secret } = await appPassword(sato, "to revoke");
    const auth = basic("sato@demo.example", secret);
    expect((await raw("/dav/", { method: "PROPFIND", auth, headers: { depth: "0" } })).status).toBe(207);
    expect((await sato.delete(`/api/v1/me/app-passwords/${made.id}`)).status).toBe(204);
    expect((await raw("/dav/", { method: "PROPFIND", auth, headers: { depth: "0" } })).status).toBe(401);
    // The other app password of the same member still works.
    expect((await raw("/dav/", { method: "PROPFIND", auth: basic("sato@demo.example", satoSecret), headers: { depth: "0" } })).status).toBe(207);
  });
});

describe("read-only and protocol edges", () => {
  it("refuses writes with a DAV error, and advertises what it supports", async () => {
    const dav = await davClient("sato@demo.example", satoSecret);
    const book = await bookOf(dav);
    const before = await listedIds(sato);
    const put = await dav.createVCard({ addressBook: book, filename: "new.vcf", vCardString: "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Intruder\r\nN:Intruder;;;;\r\nEND:VCARD\r\n" });
    expect(put.status).toBe(403);
    const body = await put.text();
    expect(body).toContain("need-privileges");
    expect(body).toContain("read-only");
    const auth = basic("sato@demo.example", satoSecret);
    const some = before[0]!;
    expect((await raw(new URL(`${some}.vcf`, book.url).pathname, { method: "DELETE", auth })).status).toBe(403);
    expect((await raw(new URL(book.url).pathname, { method: "PROPPATCH", auth, body: '<d:propertyupdate xmlns:d="DAV:"/>' })).status).toBe(403);
    expect((await raw(new URL(book.url).pathname, { method: "LOCK", auth })).status).toBe(405);
    expect(await listedIds(sato)).toEqual(before);

    const options = await raw("/dav/", { method: "OPTIONS" });
    expect(options.status).toBe(200);
    expect(options.headers.get("dav")).toBe("1, 3, addressbook");
    const privileges = await raw(new URL(book.url).pathname, {
      method: "PROPFIND",
      auth,
      headers: { depth: "0" },
      body: '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-privilege-set/><d:unknown-prop/></d:prop></d:propfind>',
    });
    expect(privileges.status).toBe(207);
    const xml = await privileges.text();
    expect(xml).toMatch(/<d:privilege><d:read\/><\/d:privilege>/);
    expect(xml).not.toMatch(/d:write/);
    expect(xml).toMatch(/<d:unknown-prop\/><\/d:prop><d:status>HTTP\/1.1 404 Not Found/);
  });

  it("redirects /.well-known/carddav to the DAV root", async () => {
    const res = await raw("/.well-known/carddav", { method: "PROPFIND" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/dav/");
  });

  it("rejects bodies that are not XML, carry a DOCTYPE, or are too large", async () => {
    const auth = basic("sato@demo.example", satoSecret);
    const bad = await raw("/dav/", { method: "PROPFIND", auth, body: "<d:propfind xmlns:d='DAV:'><d:prop>" });
    expect(bad.status).toBe(400);
    const doctype = await raw("/dav/", { method: "PROPFIND", auth, body: '<!DOCTYPE x [<!ENTITY a "aaaa">]><d:propfind xmlns:d="DAV:"><d:allprop/></d:propfind>' });
    expect(doctype.status).toBe(400);
    const huge = await raw("/dav/", { method: "REPORT", auth, body: `<d:x xmlns:d="DAV:">${"a".repeat(1100 * 1024)}</d:x>` });
    expect(huge.status).toBe(413);
    expect((await raw("/dav/", { method: "PROPFIND", auth, headers: { depth: "infinity" } })).status).toBe(403);
  });
});
