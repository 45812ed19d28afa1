import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { setFriendshipsState } from "../rooms/friendships.ts";
import { befriendAs, bootContactsServer, client, lineUserFollowing, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * DESIGN §2.8: a contact cannot be deleted while its LINE user is chatting with another member
 * ("chatting" = that member has a room, the friendship is not blocked, and the member still
 * passes the LINE gate).
 */
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

async function bothChatting(name: string) {
  const { lineUserId } = await lineUserFollowing(h, name);
  const a = await befriendAs(h, "sato@demo.example", lineUserId);
  await befriendAs(h, "kim@demo.example", lineUserId);
  const contact = (await sato.post(`/api/v1/rooms/${a.roomId}/contact`)).json.contact as { contactId: string };
  return { lineUserId, contactId: contact.contactId };
}

describe("delete guard", () => {
  it("refuses A's delete while B chats with the LINE user; allows it once the friendship is blocked", async () => {
    const { lineUserId, contactId } = await bothChatting("Guard Blocked");
    const refused = await sato.delete(`/api/v1/contacts/${contactId}`);
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe("line_user_in_conversation");
    expect(refused.json.detail).toContain("김민준");
    expect(refused.json.members).toEqual([{ id: await memberId(h, "kim@demo.example"), displayName: "김민준" }]);
    // Nothing moved to the Trash.
    expect((await sato.get(`/api/v1/contacts/${contactId}`)).status).toBe(200);
    expect((await sato.get("/api/v1/contacts/trash")).json.items).toEqual([]);

    // The LINE user blocks the account (what the unfollow handler does to every friendship).
    await h.server.db.transaction((tx) => setFriendshipsState(tx, lineUserId, "blocked", async () => undefined, new Date()));
    expect((await sato.delete(`/api/v1/contacts/${contactId}`)).status).toBe(204);
    expect((await sato.get("/api/v1/contacts/trash")).json.items.map((c: { contactId: string }) => c.contactId)).toEqual([contactId]);
  });

  it("allows the delete once B's LINE access is revoked, and refuses again when it is granted back", async () => {
    const { contactId } = await bothChatting("Guard Revoked");
    expect((await sato.delete(`/api/v1/contacts/${contactId}`)).status).toBe(409);

    const kimId = await memberId(h, "kim@demo.example");
    const policy = { policy: "allow", grant: "by_member", grantNewMembers: true, filesAllowed: true };
    expect((await admin.put("/api/v1/admin/line-policy", policy)).status).toBe(200);
    expect((await admin.put(`/api/v1/admin/members/${kimId}/line-access`, { allowed: false })).status).toBe(200);
    // Kim is no longer chatting (rooms hidden, sending stopped): Sato may delete.
    const bulk = await sato.post("/api/v1/contacts/bulk-delete", { ids: [contactId] });
    expect(bulk.json.results).toEqual([{ contactId, ok: true }]);
    expect((await sato.post(`/api/v1/contacts/${contactId}/restore`)).status).toBe(200);

    expect((await admin.put(`/api/v1/admin/members/${kimId}/line-access`, { allowed: true })).status).toBe(200);
    const again = await sato.post("/api/v1/contacts/bulk-delete", { ids: [contactId] });
    expect(again.json.results).toEqual([expect.objectContaining({ contactId, ok: false, code: "line_user_in_conversation" })]);
    await admin.put("/api/v1/admin/line-policy", { ...policy, grant: "all" });
  });

  it("does not count the deleter's own room, nor a plain contact without LINE", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Guard Alone");
    const { roomId } = await befriendAs(h, "kim@demo.example", lineUserId);
    const own = (await kim.post(`/api/v1/rooms/${roomId}/contact`)).json.contact;
    expect((await kim.delete(`/api/v1/contacts/${own.contactId}`)).status).toBe(204);
    const manual = await kim.post("/api/v1/contacts", { emails: [{ email: "plain@example.com" }] });
    expect((await kim.delete(`/api/v1/contacts/${manual.json.contactId}`)).status).toBe(204);
  });

  it("reports bulk delete per item: refused, not found and done side by side", async () => {
    const { contactId: guarded } = await bothChatting("Guard Bulk");
    const plain = (await sato.post("/api/v1/contacts", { emails: [{ email: "bulk@example.com" }] })).json.contactId;
    const missing = "00000000-0000-4000-8000-000000000001";
    const res = await sato.post("/api/v1/contacts/bulk-delete", { ids: [guarded, missing, plain] });
    expect(res.status).toBe(200);
    expect(res.json.results).toEqual([
      expect.objectContaining({ contactId: guarded, ok: false, code: "line_user_in_conversation" }),
      expect.objectContaining({ contactId: missing, ok: false, code: "not_found" }),
      { contactId: plain, ok: true },
    ]);
  });
});
