import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, signedIn, type ApiClient } from "../../../test/support/server.ts";
import { addManual, bootContactsServer, client, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * DESIGN §7 "no one sees what is not theirs", as a matrix. Sato owns a contact shared (privacy
 * MEMBER) with Smith by name and with the Sales team (Kim). Admins are members like any other in
 * the member API; they reach every contact only through /admin/contacts (list, owner, privacy).
 */
type Actor = "owner" | "sharedMember" | "teamMember" | "otherMember" | "otherTenant" | "admin";
interface Expected {
  list: boolean;
  read: number;
  edit: number;
  del: number;
  restore: number;
}

const READ_ONLY: Expected = { list: true, read: 200, edit: 403, del: 403, restore: 404 };
const CO_EDITOR: Expected = { list: true, read: 200, edit: 200, del: 204, restore: 200 };
const HIDDEN: Expected = { list: false, read: 404, edit: 404, del: 404, restore: 404 };
const OWNER: Expected = { list: true, read: 200, edit: 200, del: 204, restore: 200 };

const MATRIX: Record<"coEditingOff" | "coEditingOn", Record<Actor, Expected>> = {
  coEditingOff: { owner: OWNER, sharedMember: READ_ONLY, teamMember: READ_ONLY, otherMember: HIDDEN, otherTenant: HIDDEN, admin: HIDDEN },
  coEditingOn: { owner: OWNER, sharedMember: CO_EDITOR, teamMember: CO_EDITOR, otherMember: HIDDEN, otherTenant: HIDDEN, admin: HIDDEN },
};

let h: ContactsTestServer;
const actors = {} as Record<Actor, ApiClient>;
let smithId: string;
let salesTeamId: string;

beforeAll(async () => {
  h = await bootContactsServer();
  actors.owner = await client(h, "sato@demo.example");
  actors.sharedMember = await client(h, "smith@demo.example");
  actors.teamMember = await client(h, "kim@demo.example");
  actors.admin = await client(h, "admin@demo.example");
  const lee = await actors.admin.post("/api/v1/members", { loginId: "lee", email: "lee@demo.example", displayName: "Lee", password: DEMO_PASSWORD, role: "member" });
  expect(lee.status).toBe(201);
  actors.otherMember = await client(h, "lee@demo.example");
  const other = await h.server.directory.createTenant({ name: "Other Company", plan: "core", linePolicy: { policy: "allow", grant: "all" } });
  await h.server.directory.addMember(other, null, { loginId: "outsider", email: "outsider@other.example", displayName: "Outsider", role: "admin", password: DEMO_PASSWORD });
  actors.otherTenant = await signedIn({ url: h.url }, "outsider@other.example");
  smithId = await memberId(h, "smith@demo.example");
  salesTeamId = (await actors.owner.get("/api/v1/teams")).json.items.find((t: { name: string }) => t.name === "Sales").id;
});
afterAll(async () => {
  await h?.stop();
});

async function sharedContact(isCoEditing: boolean) {
  const c = await addManual(actors.owner, { contactName: { lastName: `Matrix ${Math.random()}` } });
  const res = await actors.owner.put(`/api/v1/contacts/${c.contactId}/permission`, {
    accessibleRange: "MEMBER",
    isCoEditing,
    accessibleMembers: [
      { type: "MEMBER", id: smithId },
      { type: "TEAM", id: salesTeamId },
    ],
  });
  expect(res.status).toBe(200);
  return { id: c.contactId, version: res.json.version as number };
}

async function observe(api: ApiClient, isCoEditing: boolean): Promise<Expected> {
  const c = await sharedContact(isCoEditing);
  const listed = (await api.get("/api/v1/contacts?limit=100")).json?.items ?? [];
  const list = listed.some((i: { contactId: string }) => i.contactId === c.id);
  const read = (await api.get(`/api/v1/contacts/${c.id}`)).status;
  const edit = (await api.request("PATCH", `/api/v1/contacts/${c.id}`, { memo: "edited" }, { "if-match": `"${c.version}"` })).status;
  const del = (await api.delete(`/api/v1/contacts/${c.id}`)).status;
  if (del !== 204) expect((await actors.owner.delete(`/api/v1/contacts/${c.id}`)).status).toBe(204);
  const restore = (await api.post(`/api/v1/contacts/${c.id}/restore`)).status;
  return { list, read, edit, del, restore };
}

describe("visibility matrix", () => {
  for (const [mode, rows] of Object.entries(MATRIX)) {
    for (const [actor, expected] of Object.entries(rows)) {
      it(`${mode}: ${actor} → list ${expected.list}, read ${expected.read}, edit ${expected.edit}, delete ${expected.del}, restore ${expected.restore}`, async () => {
        expect(await observe(actors[actor as Actor], mode === "coEditingOn")).toEqual(expected);
      });
    }
  }

  it("the admin screen lists every contact of the company, and only of the company", async () => {
    const c = await sharedContact(false);
    const mine = (await actors.admin.get("/api/v1/admin/contacts?limit=100")).json.items.map((i: { contactId: string }) => i.contactId);
    expect(mine).toContain(c.id);
    expect((await actors.sharedMember.get("/api/v1/admin/contacts")).status).toBe(403);
    const outsider = await actors.otherTenant.get("/api/v1/admin/contacts?limit=100");
    expect(outsider.json.items.map((i: { contactId: string }) => i.contactId)).not.toContain(c.id);
    expect((await actors.otherTenant.put(`/api/v1/admin/contacts/${c.id}/owner`, { ownerId: smithId })).status).toBe(404);
    // Another company's member cannot be made owner.
    const foreign = (await actors.otherTenant.get("/api/v1/me")).json.member.id;
    expect((await actors.admin.put(`/api/v1/admin/contacts/${c.id}/owner`, { ownerId: foreign })).status).toBe(400);
  });
});
