import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedIn, type ApiClient } from "../../../test/support/server.ts";
import { addManual, bootContactsServer, client, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * The administrator's contact screens (issue 6): the "no owner" and "no visible members"
 * filters, one contact's details, and the audit log read per contact and searched by its name.
 */
let h: ContactsTestServer;
let admin: ApiClient;
let sato: ApiClient;
let kim: ApiClient;

beforeAll(async () => {
  h = await bootContactsServer();
  [admin, sato, kim] = await Promise.all([client(h, "admin@demo.example"), client(h, "sato@demo.example"), client(h, "kim@demo.example")]);
});
afterAll(async () => {
  await h?.stop();
});

const ids = (res: { json: { items: { contactId: string }[] } }) => res.json.items.map((c) => c.contactId);
const listed = async (filter: string) => ids(await admin.get(`/api/v1/admin/contacts?filter=${filter}&limit=100`));

/** A member who owns contacts and then leaves the company. */
async function memberWhoLeaves(loginId: string) {
  const created = await admin.post("/api/v1/members", {
    loginId,
    email: `${loginId}@demo.example`,
    displayName: `Leaver ${loginId}`,
    password: "leaver-password-1",
  });
  expect(created.status).toBe(201);
  const api = await signedIn({ url: h.url }, `${loginId}@demo.example`, "leaver-password-1");
  return {
    id: created.json.id as string,
    api,
    /**
     * The directory has no API to remove a member yet, so this is the lowest real path: the row
     * goes, and the schema's ON DELETE CASCADE takes their owner and access rows with it
     * (0007_contacts.sql: "a deleted member's rows go with them, which is how a contact ends up
     * with no owner").
     */
    leave: () => h.server.db.query("DELETE FROM members WHERE id = $1", [created.json.id]),
  };
}

describe("admin contact filters", () => {
  it("lists contacts whose owner left (no owner) and those nobody can see any more (no visible members)", async () => {
    const leaver = await memberWhoLeaves("leaver1");
    const kimId = await memberId(h, "kim@demo.example");
    const emptyTeam = await admin.post("/api/v1/teams", { name: "Nobody yet", memberIds: [] });
    expect(emptyTeam.status).toBe(201);
    const sales = (await admin.get("/api/v1/teams")).json.items.find((t: { name: string }) => t.name === "Sales");

    const only = (entries: { type: "MEMBER" | "TEAM"; id: string }[]) => ({ accessibleRange: "MEMBER", isCoEditing: false, accessibleMembers: entries });
    const orphan = await addManual(leaver.api, { contactName: { lastName: "Orphan" }, permission: only([]) });
    const emptyTeamOnly = await addManual(leaver.api, { contactName: { lastName: "Empty team" }, permission: only([{ type: "TEAM", id: emptyTeam.json.id }]) });
    const withKim = await addManual(leaver.api, { contactName: { lastName: "With Kim" }, permission: only([{ type: "MEMBER", id: kimId }]) });
    const withSales = await addManual(leaver.api, { contactName: { lastName: "With Sales" }, permission: only([{ type: "TEAM", id: sales.id }]) });
    const everyone = await addManual(leaver.api, { contactName: { lastName: "Everyone" }, permission: { accessibleRange: "ALL", isCoEditing: false } });
    const satos = await addManual(sato, { contactName: { lastName: "Sato keeps" } });
    const mine = [orphan, emptyTeamOnly, withKim, withSales, everyone, satos].map((c) => c.contactId);

    // Before the owner leaves, every contact has an owner who sees it.
    expect((await listed("no_owner")).filter((id) => mine.includes(id))).toEqual([]);
    expect((await listed("no_visible_members")).filter((id) => mine.includes(id))).toEqual([]);

    await leaver.leave();

    const noOwner = await listed("no_owner");
    expect(mine.filter((id) => noOwner.includes(id)).sort()).toEqual(
      [orphan, emptyTeamOnly, withKim, withSales, everyone].map((c) => c.contactId).sort(),
    );
    // Nobody sees these: no member rows, and the only team has no members. Kim, the Sales team
    // and "everyone" still see the others.
    const invisible = await listed("no_visible_members");
    expect(mine.filter((id) => invisible.includes(id)).sort()).toEqual([orphan, emptyTeamOnly].map((c) => c.contactId).sort());
    const adminView = (await admin.get(`/api/v1/admin/contacts/${orphan.contactId}`)).json;
    expect(adminView.permission).toMatchObject({ ownerId: null, accessibleRange: "MEMBER", accessibleMembers: [] });

    // The admin hands the orphan to Kim: it leaves both lists, and Kim can open and edit it.
    const moved = await admin.put(`/api/v1/admin/contacts/${orphan.contactId}/owner`, { ownerId: kimId });
    expect(moved.status).toBe(200);
    expect(moved.json.permission).toMatchObject({ ownerId: kimId, accessibleMembers: [] });
    expect(await listed("no_owner")).not.toContain(orphan.contactId);
    expect(await listed("no_visible_members")).not.toContain(orphan.contactId);
    expect((await kim.get(`/api/v1/contacts/${orphan.contactId}`)).json.editable).toBe(true);
    const [ownerEntry] = (await admin.get(`/api/v1/admin/audit?target=${orphan.contactId}&action=contact.owner`)).json.items;
    expect(ownerEntry.detail).toEqual({ from: null, to: kimId });

    // A contact only visible through a team stops being "no visible members" once the team has someone.
    const filled = await admin.post("/api/v1/teams", { name: "Now someone", memberIds: [kimId] });
    const shared = await admin.put(`/api/v1/admin/contacts/${emptyTeamOnly.contactId}/permission`, only([{ type: "TEAM", id: filled.json.id }]));
    expect(shared.status).toBe(200);
    expect(await listed("no_visible_members")).not.toContain(emptyTeamOnly.contactId);
    expect(await listed("no_owner")).toContain(emptyTeamOnly.contactId);
  });

  it("pages every filter with the cursor it gives out, and refuses one it did not", async () => {
    const first = await admin.get("/api/v1/admin/contacts?filter=all&limit=2");
    expect(first.json.items).toHaveLength(2);
    expect(first.json.nextCursor).toBeTruthy();
    const second = await admin.get(`/api/v1/admin/contacts?filter=all&limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(ids(second).some((id) => ids(first).includes(id))).toBe(false);
    const bad = await admin.get("/api/v1/admin/contacts?filter=no_owner&cursor=nonsense");
    expect(bad.status).toBe(400);
  });
});

describe("one contact for the admin", () => {
  it("opens any contact of the company, in the Trash too, and records the view", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Admin", firstName: "Looks" } });
    expect((await sato.get(`/api/v1/admin/contacts/${c.contactId}`)).status).toBe(403);
    expect((await admin.get(`/api/v1/admin/contacts/${crypto.randomUUID()}`)).status).toBe(404);
    // The admin is an ordinary member in /contacts: Sato's private contact is hidden there.
    expect((await admin.get(`/api/v1/contacts/${c.contactId}`)).status).toBe(404);

    const open = await admin.get(`/api/v1/admin/contacts/${c.contactId}`);
    expect(open.status).toBe(200);
    expect(open.json).toMatchObject({ contactId: c.contactId, contactName: { lastName: "Admin", firstName: "Looks" }, editable: false });
    await sato.delete(`/api/v1/contacts/${c.contactId}`);
    const trashed = await admin.get(`/api/v1/admin/contacts/${c.contactId}`);
    expect(trashed.status).toBe(200);
    expect(trashed.json.deletedBy).toBe(await memberId(h, "sato@demo.example"));

    const views = (await admin.get(`/api/v1/admin/audit?target=${c.contactId}&action=contact.view`)).json.items;
    expect(views).toHaveLength(2);
    expect(views[0]).toMatchObject({ actor: { id: await memberId(h, "admin@demo.example") }, detail: { admin: true } });
  });
});

describe("audit log for the admin screens", () => {
  it("names the contact of each entry, finds entries by the contact's name, and keeps entries of a contact deleted for good", async () => {
    const c = await addManual(sato, { contactName: { lastName: "カタカナ", firstName: "Audit" } });
    const gone = await addManual(sato, { contactName: { lastName: "Gone for good" } });
    await sato.delete(`/api/v1/contacts/${gone.contactId}`);
    await sato.delete(`/api/v1/contacts/${gone.contactId}/permanent`);

    const [added] = (await admin.get(`/api/v1/admin/audit?target=${c.contactId}`)).json.items;
    expect(added).toMatchObject({ action: "contact.add", targetType: "contact", targetId: c.contactId, targetName: "カタカナ Audit" });

    // The contact search's folding applies: hiragana finds the katakana name.
    const found = (await admin.get(`/api/v1/admin/audit?q=${encodeURIComponent("かたかな")}`)).json.items;
    expect(found.map((e: { targetId: string }) => e.targetId)).toContain(c.contactId);
    expect(new Set(found.map((e: { targetId: string }) => e.targetId))).toEqual(new Set([c.contactId]));

    // A contact deleted for good has no name any more, but its history stays.
    const history = (await admin.get(`/api/v1/admin/audit?target=${gone.contactId}`)).json.items;
    expect(history.map((e: { action: string }) => e.action)).toEqual(["contact.permanent_delete", "contact.delete", "contact.add"]);
    expect(history.every((e: { targetName: string | null }) => e.targetName === null)).toBe(true);

    // Entries about other things carry no contact name.
    const settings = await admin.put("/api/v1/admin/contact-settings", { trashRetentionDays: 45 });
    expect(settings.json.trashRetentionDays).toBe(45);
    const [changed] = (await admin.get("/api/v1/admin/audit?action=contact.settings")).json.items;
    expect(changed).toMatchObject({ targetType: "tenant", targetName: null, detail: { trashRetentionDays: 45 } });
    expect((await admin.put("/api/v1/admin/contact-settings", { trashRetentionDays: 0 })).status).toBe(400);
  });
});
