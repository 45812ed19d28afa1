import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorOf } from "../../../test/support/line.ts";
import { readEvents } from "../../../test/support/sse.ts";
import { DEMO_PASSWORD, signedIn, type ApiClient } from "../../../test/support/server.ts";
import { addManual, befriendAs, bootContactsServer, client, lineUserFollowing, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * Contacts live (issue 6): a change reaches every member who saw the contact before or after it,
 * over the real SSE stream, and no one else; a refused change reaches no one.
 */
let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
let smith: ApiClient;
let admin: ApiClient;
let outsider: ApiClient;
let kimId: string;
let smithId: string;

beforeAll(async () => {
  h = await bootContactsServer();
  [sato, kim, smith, admin] = await Promise.all([
    client(h, "sato@demo.example"),
    client(h, "kim@demo.example"),
    client(h, "smith@demo.example"),
    client(h, "admin@demo.example"),
  ]);
  [kimId, smithId] = await Promise.all([memberId(h, "kim@demo.example"), memberId(h, "smith@demo.example")]);
  const other = await h.server.directory.createTenant({ name: "Elsewhere Inc", plan: "core", linePolicy: { policy: "allow", grant: "all" } });
  await h.server.directory.addMember(other, null, { loginId: "elsewhere", email: "someone@elsewhere.example", displayName: "Someone", role: "admin", password: DEMO_PASSWORD });
  outsider = await signedIn({ url: h.url }, "someone@elsewhere.example");
});
afterAll(async () => {
  await h?.stop();
});

type Seen = { event: string; data: unknown }[];
const events = () => `${h.url}/api/v1/events`;
const isEvent = (type: string, contactId: string) => (ev: { event: string; data: unknown }) =>
  ev.event === type && (ev.data as { contactId?: string }).contactId === contactId;
/** What arrived besides the stream's own `ready`. */
const domainEvents = (seen: Seen) => seen.filter((e) => e.event !== "ready").map((e) => ({ event: e.event, data: e.data }));

const shareWith = (contactId: string, members: string[]) =>
  sato.put(`/api/v1/contacts/${contactId}/permission`, {
    accessibleRange: "MEMBER",
    isCoEditing: false,
    accessibleMembers: members.map((id) => ({ type: "MEMBER", id })),
  });

/** A member's own new contact: an event they certainly get, after everything done before it. */
async function sentinel(api: ApiClient, name: string) {
  return (await addManual(api, { contactName: { lastName: name } })).contactId;
}

describe("real-time contact events", () => {
  it("sharing with Kim reaches Kim's stream; narrowing it again reaches Kim too, and the contact is gone for her", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Live Share" } });
    await readEvents(events(), kim.cookie, isEvent("contact.updated", c.contactId), {
      onOpen: async () => expect((await shareWith(c.contactId, [kimId])).status).toBe(200),
    });
    expect((await kim.get(`/api/v1/contacts/${c.contactId}`)).status).toBe(200);

    await readEvents(events(), kim.cookie, isEvent("contact.updated", c.contactId), {
      onOpen: async () => expect((await shareWith(c.contactId, [])).status).toBe(200),
    });
    expect((await kim.get(`/api/v1/contacts/${c.contactId}`)).status).toBe(404);
  });

  it("Smith, who never sees the contact, and another company hear nothing of it", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Not For Smith" } });
    let mark = "";
    const seen = await readEvents(events(), smith.cookie, (ev) => ev.event === "contact.created", {
      onOpen: async () => {
        expect((await shareWith(c.contactId, [kimId])).status).toBe(200);
        expect((await sato.delete(`/api/v1/contacts/${c.contactId}`)).status).toBe(204);
        expect((await sato.post(`/api/v1/contacts/${c.contactId}/restore`)).status).toBe(200);
        expect((await shareWith(c.contactId, [])).status).toBe(200);
        mark = await sentinel(smith, "Smith Sentinel");
      },
    });
    expect(domainEvents(seen)).toEqual([{ event: "contact.created", data: { contactId: mark } }]);

    // Company-wide contacts reach the whole company — of this tenant only.
    let outsiderMark = "";
    const elsewhere = await readEvents(events(), outsider.cookie, (ev) => ev.event === "contact.created", {
      onOpen: async () => {
        await addManual(sato, { contactName: { lastName: "Everyone Here" }, permission: { accessibleRange: "ALL", isCoEditing: false } });
        outsiderMark = await sentinel(outsider, "Outsider Sentinel");
      },
    });
    expect(domainEvents(elsewhere)).toEqual([{ event: "contact.created", data: { contactId: outsiderMark } }]);
  });

  it("a contact for the whole company reaches every member of it", async () => {
    let id = "";
    await readEvents(events(), smith.cookie, (ev) => isEvent("contact.created", id)(ev), {
      onOpen: async () => {
        id = (await addManual(sato, { contactName: { lastName: "For All" }, permission: { accessibleRange: "ALL", isCoEditing: false } })).contactId;
      },
    });
    expect((await smith.get(`/api/v1/contacts/${id}`)).status).toBe(200);
  });

  it("delete, restore and permanent delete reach a member who sees the contact, in order", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Lifecycle" } });
    expect((await shareWith(c.contactId, [kimId])).status).toBe(200);
    const seen = await readEvents(events(), kim.cookie, isEvent("contact.removed", c.contactId), {
      onOpen: async () => {
        expect((await sato.delete(`/api/v1/contacts/${c.contactId}`)).status).toBe(204);
        expect((await sato.post(`/api/v1/contacts/${c.contactId}/restore`)).status).toBe(200);
        expect((await sato.delete(`/api/v1/contacts/${c.contactId}`)).status).toBe(204);
        expect((await sato.delete(`/api/v1/contacts/${c.contactId}/permanent`)).status).toBe(204);
      },
    });
    expect(domainEvents(seen)).toEqual(
      ["contact.deleted", "contact.restored", "contact.deleted", "contact.removed"].map((event) => ({ event, data: { contactId: c.contactId } })),
    );
  });

  it("the administrator handing a contact to Smith reaches Smith", async () => {
    const c = await addManual(sato, { contactName: { lastName: "New Owner" } });
    await readEvents(events(), smith.cookie, isEvent("contact.updated", c.contactId), {
      onOpen: async () => expect((await admin.put(`/api/v1/admin/contacts/${c.contactId}/owner`, { ownerId: smithId })).status).toBe(200),
    });
    expect((await smith.get(`/api/v1/contacts/${c.contactId}`)).json.permission.ownerId).toBe(smithId);
  });

  it("a refused edit (locked LINE nickname, 422) publishes nothing; the next good edit does", async () => {
    const { userId, lineUserId } = await lineUserFollowing(h, "Locked Nick");
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
    const contact = (await sato.post(`/api/v1/rooms/${roomId}/contact`)).json.contact;
    const path = `/api/v1/contacts/${contact.contactId}`;
    const seen = await readEvents(events(), sato.cookie, isEvent("contact.updated", contact.contactId), {
      onOpen: async () => {
        const refused = await sato.request("PATCH", path, { contactName: { nickName: "Mine Now" } }, { "if-match": `"${contact.version}"` });
        expect(refused.status).toBe(422);
        const edited = await sato.request("PATCH", path, { memo: "fine" }, { "if-match": `"${contact.version}"` });
        expect(edited.status).toBe(200);
      },
    });
    expect(domainEvents(seen)).toEqual([{ event: "contact.updated", data: { contactId: contact.contactId } }]);

    // A new LINE name is synced into the nickname, and that is announced too.
    const synced = await readEvents(events(), sato.cookie, isEvent("contact.updated", contact.contactId), {
      onOpen: async () => {
        const emu = emulatorOf(h.server);
        await emu.updateUser(userId, { displayName: "Renamed On LINE" });
        // Unfollow and follow again: the follow makes the connector fetch the profile.
        await emu.unfollow(userId, h.server.demoLineChannelId!);
        await emu.follow(userId, h.server.demoLineChannelId!);
        await h.drain();
      },
    });
    expect(synced.some(isEvent("contact.updated", contact.contactId))).toBe(true);
    expect((await sato.get(path)).json.contactName.nickName).toBe("Renamed On LINE");
  });
});
