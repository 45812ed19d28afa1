import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { TINY_PNG, addManual, befriendAs, bootContactsServer, client, lineUserFollowing, memberId, type ContactsTestServer } from "./test-support.ts";

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

const patch = (api: ApiClient, id: string, body: unknown, version?: number) =>
  api.request("PATCH", `/api/v1/contacts/${id}`, body, version === undefined ? {} : { "if-match": `"${version}"` });

describe("Add LINE Contact from a room", () => {
  it("saves the LINE user with name = nickname = display name, LINE's photo, the owner and the default privacy", async () => {
    const picture = TINY_PNG([200, 30, 30]);
    const { lineUserId } = await lineUserFollowing(h, "田中 ゆき", picture);
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);

    const res = await sato.post(`/api/v1/rooms/${roomId}/contact`);
    expect(res.status).toBe(201);
    expect(res.json.created).toBe(true);
    const c = res.json.contact;
    expect(c.contactName).toMatchObject({ lastName: "田中 ゆき", nickName: "田中 ゆき" });
    expect(c.linkedLineUser).toMatchObject({ lineUserId, displayName: "田中 ゆき", roomId });
    expect(c.permission).toEqual({ ownerId: await memberId(h, "sato@demo.example"), accessibleRange: "MEMBER", isCoEditing: false, accessibleMembers: [] });
    expect(c.editable).toBe(true);
    const photo = await fetch(new URL(c.photoUrl, h.url), { headers: { cookie: sato.cookie } });
    expect(photo.status).toBe(200);
    expect(new Uint8Array(await photo.arrayBuffer())).toEqual(picture);

    // Tapping again opens the same contact instead of a duplicate.
    const again = await sato.post(`/api/v1/rooms/${roomId}/contact`);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ created: false, contact: { contactId: c.contactId } });
    const line = await sato.get("/api/v1/contacts?tab=line");
    expect(line.json.items.filter((i: { linkedLineUser: { lineUserId: string } | null }) => i.linkedLineUser?.lineUserId === lineUserId)).toHaveLength(1);
  });

  it("a member who cannot see the existing contact gets their own copy (and neither can delete it while the other chats)", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Shared LU");
    const a = await befriendAs(h, "sato@demo.example", lineUserId);
    const b = await befriendAs(h, "smith@demo.example", lineUserId);
    const first = (await sato.post(`/api/v1/rooms/${a.roomId}/contact`)).json.contact;
    const smith = await client(h, "smith@demo.example");
    const second = await smith.post(`/api/v1/rooms/${b.roomId}/contact`);
    expect(second.status).toBe(201);
    expect(second.json.contact.contactId).not.toBe(first.contactId);

    // Sato deletes theirs; Smith is chatting, so the guard refuses while Smith's room is active.
    expect((await sato.delete(`/api/v1/contacts/${first.contactId}`)).status).toBe(409);
    // Smith deletes their own copy (Sato is chatting too, so also refused): the guard is symmetric.
    expect((await smith.delete(`/api/v1/contacts/${second.json.contact.contactId}`)).json.code).toBe("line_user_in_conversation");
  });

  it("answers 404 for someone else's room and 409 contact_in_trash for a trashed contact", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Trash LU");
    const { roomId } = await befriendAs(h, "kim@demo.example", lineUserId);
    expect((await sato.post(`/api/v1/rooms/${roomId}/contact`)).status).toBe(404);
    const created = (await kim.post(`/api/v1/rooms/${roomId}/contact`)).json.contact;
    expect((await kim.delete(`/api/v1/contacts/${created.contactId}`)).status).toBe(204);
    const again = await kim.post(`/api/v1/rooms/${roomId}/contact`);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: "contact_in_trash", contactId: created.contactId });
  });
  it("two simultaneous taps make one contact", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Double Tap");
    const { roomId } = await befriendAs(h, "kim@demo.example", lineUserId);
    const [a, b] = await Promise.all([kim.post(`/api/v1/rooms/${roomId}/contact`), kim.post(`/api/v1/rooms/${roomId}/contact`)]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.json.contact.contactId).toBe(b.json.contact.contactId);
  });
});

describe("editing", () => {
  it("locks the nickname and photo of a LINE contact (422 field_locked), other fields stay editable", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Locked LU", TINY_PNG([0, 0, 255]));
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
    const c = (await sato.post(`/api/v1/rooms/${roomId}/contact`)).json.contact;

    const nick = await patch(sato, c.contactId, { contactName: { nickName: "Renamed" } }, c.version);
    expect(nick.status).toBe(422);
    expect(nick.json).toMatchObject({ code: "field_locked", field: "contactName.nickName" });
    const photo = await sato.request("PUT", `/api/v1/contacts/${c.contactId}/photo`, TINY_PNG([1, 2, 3]), { "content-type": "image/png" });
    expect(photo.status).toBe(422);
    expect(photo.json).toMatchObject({ code: "field_locked", field: "photo" });
    expect((await patch(sato, c.contactId, { photo: null }, c.version)).json.field).toBe("photo");

    const ok = await patch(sato, c.contactId, { contactName: { lastName: "Tanaka", nickName: "Locked LU" }, memo: "met at expo" }, c.version);
    expect(ok.status).toBe(200);
    expect(ok.json.contactName).toMatchObject({ lastName: "Tanaka", nickName: "Locked LU" });
    expect(ok.json.version).toBe(c.version + 1);
    expect(ok.headers.get("etag")).toBe(`"${c.version + 1}"`);
  });

  it("needs If-Match (428) and refuses a stale version (412) without losing the first edit", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Concurrency" } });
    expect((await patch(sato, c.contactId, { memo: "x" })).status).toBe(428);
    const first = await patch(sato, c.contactId, { memo: "first" }, c.version);
    expect(first.status).toBe(200);
    const stale = await patch(sato, c.contactId, { memo: "second" }, c.version);
    expect(stale.status).toBe(412);
    expect(stale.json).toMatchObject({ code: "version_conflict", currentVersion: first.json.version });
    expect((await sato.get(`/api/v1/contacts/${c.contactId}`)).json.memo).toBe("first");
  });

  it("validates fields: manual contacts need an e-mail or phone; lists ≤ 100; memo ≤ 4,000; tags ≤ 30 chars and unique", async () => {
    expect((await sato.post("/api/v1/contacts", { contactName: { lastName: "Nobody" } })).status).toBe(400);
    expect((await sato.post("/api/v1/contacts", { emails: [{ email: "not-an-email" }] })).status).toBe(400);
    const many = Array.from({ length: 101 }, (_, i) => ({ telephone: `+81 90 0000 ${String(i).padStart(4, "0")}` }));
    expect((await sato.post("/api/v1/contacts", { telephones: many })).status).toBe(400);
    expect((await sato.post("/api/v1/contacts", { emails: [{ email: "a@b.example" }], memo: "m".repeat(4001) })).status).toBe(400);
    expect((await sato.post("/api/v1/contacts", { emails: [{ email: "a@b.example" }], tags: { company: ["x".repeat(31)] } })).status).toBe(400);
    expect((await sato.post("/api/v1/contacts", { emails: [{ email: "a@b.example" }], tags: { mine: ["vip", "vip"] } })).status).toBe(400);
    const twoPrimary = [{ email: "a@b.example", primary: true }, { email: "c@d.example", primary: true }];
    expect((await sato.post("/api/v1/contacts", { emails: twoPrimary })).status).toBe(400);

    const ok = await addManual(sato, {
      contactName: { lastName: "山本", firstName: "健", phoneticLastName: "やまもと", phoneticFirstName: "けん" },
      emails: [{ type: "WORK", email: "ken@yamamoto.example", primary: true }],
      organizations: [{ name: "山本商事", department: "営業部", title: "部長" }],
      memo: "m".repeat(4000),
      tags: { company: ["取引先"], mine: ["vip"] },
    });
    const read = (await sato.get(`/api/v1/contacts/${ok.contactId}`)).json;
    expect(read.tags).toEqual({ company: ["取引先"], mine: ["vip"] });
    // "My" tags are the member's own: a co-viewer does not see them.
    await sato.put(`/api/v1/contacts/${ok.contactId}/permission`, { accessibleRange: "ALL", isCoEditing: false, accessibleMembers: [] });
    expect((await kim.get(`/api/v1/contacts/${ok.contactId}`)).json.tags).toEqual({ company: ["取引先"], mine: [] });
    // Removing every phone and e-mail of a manual contact is refused.
    const version = (await sato.get(`/api/v1/contacts/${ok.contactId}`)).json.version;
    expect((await patch(sato, ok.contactId, { emails: [], telephones: [] }, version)).status).toBe(400);
    // A patch changes only what it names: new company tags leave "my" tags and the name alone.
    const retag = await patch(sato, ok.contactId, { tags: { company: ["取引先", "2024"] } }, version);
    expect(retag.status).toBe(200);
    expect(retag.json.tags).toEqual({ company: ["2024", "取引先"], mine: ["vip"] });
    expect(retag.json.contactName.lastName).toBe("山本");
    expect(retag.json.version).toBe(version + 1);
  });

  it("uploads a photo for a manual contact (sniffed, not trusted)", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Photo" } });
    const bad = await sato.request("PUT", `/api/v1/contacts/${c.contactId}/photo`, new TextEncoder().encode("<svg/>"), { "content-type": "image/png" });
    expect(bad.status).toBe(415);
    const png = TINY_PNG([9, 9, 9]);
    const ok = await sato.request("PUT", `/api/v1/contacts/${c.contactId}/photo`, png, { "content-type": "image/png" });
    expect(ok.status).toBe(200);
    const img = await fetch(new URL(ok.json.photoUrl, h.url), { headers: { cookie: sato.cookie } });
    expect(new Uint8Array(await img.arrayBuffer())).toEqual(png);
    const other = await fetch(new URL(ok.json.photoUrl, h.url), { headers: { cookie: kim.cookie } });
    expect(other.status).toBe(404);
  });
});

describe("sharing", () => {
  it("refuses narrowing privacy so that a chatting member loses sight (409 member_is_chatting naming them)", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Narrow LU");
    const s = await befriendAs(h, "sato@demo.example", lineUserId);
    await befriendAs(h, "kim@demo.example", lineUserId);
    const c = (await sato.post(`/api/v1/rooms/${s.roomId}/contact`)).json.contact;
    const kimId = await memberId(h, "kim@demo.example");
    const salesTeam = (await sato.get("/api/v1/teams")).json.items.find((t: { name: string }) => t.name === "Sales").id;

    // Widening is fine; so is swapping "kim" for kim's team (kim still sees it).
    expect((await sato.put(`/api/v1/contacts/${c.contactId}/permission`, { accessibleRange: "ALL", isCoEditing: false })).status).toBe(200);
    const viaTeam = await sato.put(`/api/v1/contacts/${c.contactId}/permission`, {
      accessibleRange: "MEMBER",
      isCoEditing: true,
      accessibleMembers: [{ type: "TEAM", id: salesTeam }],
    });
    expect(viaTeam.status).toBe(200);
    expect(viaTeam.json.permission.accessibleMembers).toEqual([{ type: "TEAM", id: salesTeam }]);

    const narrowed = await sato.put(`/api/v1/contacts/${c.contactId}/permission`, { accessibleRange: "MEMBER", isCoEditing: false, accessibleMembers: [] });
    expect(narrowed.status).toBe(409);
    expect(narrowed.json.code).toBe("member_is_chatting");
    expect(narrowed.json.detail).toContain("김민준");
    expect(narrowed.json.members).toEqual([{ id: kimId, displayName: "김민준" }]);
    // Nothing changed.
    expect((await kim.get(`/api/v1/contacts/${c.contactId}`)).status).toBe(200);
    // Only the owner changes sharing, even with co-editing on.
    expect((await kim.put(`/api/v1/contacts/${c.contactId}/permission`, { accessibleRange: "ALL", isCoEditing: true })).status).toBe(403);
    // Unknown members are a validation error, not a silent no-op.
    const unknown = await sato.put(`/api/v1/contacts/${c.contactId}/permission`, {
      accessibleRange: "MEMBER",
      isCoEditing: true,
      accessibleMembers: [{ type: "TEAM", id: salesTeam }, { type: "MEMBER", id: "00000000-0000-4000-8000-000000000000" }],
    });
    expect(unknown.status).toBe(400);
  });

  it("admin reassigns the owner and changes privacy from the admin screen; the chatting rule applies there too", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Admin LU");
    const s = await befriendAs(h, "sato@demo.example", lineUserId);
    const c = (await sato.post(`/api/v1/rooms/${s.roomId}/contact`)).json.contact;
    const kimId = await memberId(h, "kim@demo.example");
    const satoId = await memberId(h, "sato@demo.example");

    expect((await sato.put(`/api/v1/admin/contacts/${c.contactId}/owner`, { ownerId: kimId })).status).toBe(403);
    const listed = await admin.get("/api/v1/admin/contacts?filter=line");
    expect(listed.json.items.map((i: { contactId: string }) => i.contactId)).toContain(c.contactId);

    const moved = await admin.put(`/api/v1/admin/contacts/${c.contactId}/owner`, { ownerId: kimId });
    expect(moved.status).toBe(200);
    expect(moved.json.permission.ownerId).toBe(kimId);
    expect(moved.json.permission.accessibleMembers).toEqual([{ type: "MEMBER", id: satoId }]);
    expect((await kim.get(`/api/v1/contacts/${c.contactId}`)).json.editable).toBe(true);

    // Sato chats with the LINE user: the admin cannot cut Sato off either.
    const cut = await admin.put(`/api/v1/admin/contacts/${c.contactId}/permission`, { accessibleRange: "MEMBER", isCoEditing: false, accessibleMembers: [] });
    expect(cut.status).toBe(409);
    expect(cut.json.code).toBe("member_is_chatting");
    const all = await admin.put(`/api/v1/admin/contacts/${c.contactId}/permission`, { accessibleRange: "ALL", isCoEditing: false });
    expect(all.json.permission.accessibleRange).toBe("ALL");
  });

  it("the company default privacy applies to new contacts", async () => {
    expect((await sato.put("/api/v1/admin/contact-settings", { defaultAccessRange: "ALL" })).status).toBe(403);
    const set = await admin.put("/api/v1/admin/contact-settings", { defaultAccessRange: "ALL" });
    expect(set.json).toMatchObject({ defaultAccessRange: "ALL", trashRetentionDays: 30 });
    const c = await addManual(sato, { contactName: { lastName: "Everyone" } });
    expect((await kim.get(`/api/v1/contacts/${c.contactId}`)).status).toBe(200);
    await admin.put("/api/v1/admin/contact-settings", { defaultAccessRange: "MEMBER" });
    const d = await addManual(sato, { contactName: { lastName: "Only me" } });
    expect((await kim.get(`/api/v1/contacts/${d.contactId}`)).status).toBe(404);
  });
});
