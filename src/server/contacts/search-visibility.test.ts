import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { addManual, bootContactsServer, client, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * Search reads who may see a contact from the contact itself (`audience` and `owner_id`, kept by
 * the triggers of 0014), not from contact_access at query time. These prove the stored copy
 * follows every change in the same transaction: the very next search shows a share, an owner
 * hand-over and a move to the Trash and back. Each query runs both ways a search page is found:
 * `limit=1` stops at the walk in sort order (one match fills the page), the default limit finds
 * fewer matches than a page and so also takes the index path; "鳩山" (two characters) goes
 * through the grams index, "zephyrine" through trigrams.
 */
let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
let smith: ApiClient;
let admin: ApiClient;
let kimId: string;

beforeAll(async () => {
  h = await bootContactsServer();
  [sato, kim, smith, admin] = await Promise.all([client(h, "sato@demo.example"), client(h, "kim@demo.example"), client(h, "smith@demo.example"), client(h, "admin@demo.example")]);
  kimId = await memberId(h, "kim@demo.example");
});
afterAll(async () => {
  await h?.stop();
});

const PRIVATE = { accessibleRange: "MEMBER", isCoEditing: false, accessibleMembers: [] };

/** What `who` finds for every query and both paths; each must be the same list. */
async function found(who: ApiClient, trash = false): Promise<string[]> {
  const results: string[][] = [];
  for (const q of ["鳩山", "zephyrine"]) {
    for (const limit of ["&limit=1", ""]) {
      const res = await who.get(`/api/v1/contacts${trash ? "/trash" : ""}?q=${encodeURIComponent(q)}${limit}`);
      expect(res.status).toBe(200);
      results.push(res.json.items.map((c: { contactId: string }) => c.contactId));
    }
  }
  for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  return results[0]!;
}

describe("search follows visibility changes at once", () => {
  it("a share with a member, and with a team, shows in the next search; narrowing hides it again", async () => {
    const made = await addManual(sato, { contactName: { lastName: "鳩山", firstName: "Zephyrine" }, permission: PRIVATE });
    expect(await found(sato)).toEqual([made.contactId]);
    expect(await found(kim)).toEqual([]);

    const shared = await sato.put(`/api/v1/contacts/${made.contactId}/permission`, { ...PRIVATE, accessibleMembers: [{ type: "MEMBER", id: kimId }] });
    expect(shared.status).toBe(200);
    expect(await found(kim)).toEqual([made.contactId]);
    expect(await found(smith)).toEqual([]);

    const team = await admin.post("/api/v1/teams", { name: "Search watchers", memberIds: [await memberId(h, "smith@demo.example")] });
    expect(team.status).toBe(201);
    await sato.put(`/api/v1/contacts/${made.contactId}/permission`, { ...PRIVATE, accessibleMembers: [{ type: "TEAM", id: team.json.id }] });
    expect(await found(smith)).toEqual([made.contactId]);
    expect(await found(kim)).toEqual([]);

    await sato.put(`/api/v1/contacts/${made.contactId}/permission`, PRIVATE);
    expect(await found(smith)).toEqual([]);
    await sato.put(`/api/v1/contacts/${made.contactId}/permission`, { ...PRIVATE, accessibleRange: "ALL" });
    expect(await found(kim)).toEqual([made.contactId]);
    expect(await found(smith)).toEqual([made.contactId]);
    // Not for the next tests.
    expect((await sato.delete(`/api/v1/contacts/${made.contactId}`)).status).toBe(204);
    expect((await sato.delete(`/api/v1/contacts/${made.contactId}/permanent`)).status).toBe(204);
  });

  it("an owner hand-over shows in the next search: the new owner finds and may edit it", async () => {
    const made = await addManual(sato, { contactName: { lastName: "鳩山", firstName: "Zephyrine" }, permission: PRIVATE });
    expect(await found(kim)).toEqual([]);

    const moved = await admin.put(`/api/v1/admin/contacts/${made.contactId}/owner`, { ownerId: kimId });
    expect(moved.status).toBe(200);
    expect(await found(kim)).toEqual([made.contactId]);
    const seen = (await kim.get(`/api/v1/contacts?q=zephyrine`)).json.items[0];
    expect(seen.permission.ownerId).toBe(kimId);
    expect(seen.editable).toBe(true);
    // The previous owner keeps sight as a chosen member until the new owner narrows it.
    expect(await found(sato)).toEqual([made.contactId]);
    await kim.put(`/api/v1/contacts/${made.contactId}/permission`, PRIVATE);
    expect(await found(sato)).toEqual([]);
    expect((await kim.delete(`/api/v1/contacts/${made.contactId}`)).status).toBe(204);
    expect((await kim.delete(`/api/v1/contacts/${made.contactId}/permanent`)).status).toBe(204);
  });

  it("a move to the Trash leaves the search at once and appears in the Trash's; a restore brings it back", async () => {
    const made = await addManual(sato, { contactName: { lastName: "鳩山", firstName: "Zephyrine" }, permission: { ...PRIVATE, accessibleRange: "ALL" } });
    expect(await found(kim)).toEqual([made.contactId]);

    expect((await sato.delete(`/api/v1/contacts/${made.contactId}`)).status).toBe(204);
    expect(await found(sato)).toEqual([]);
    expect(await found(kim)).toEqual([]);
    expect(await found(sato, true)).toEqual([made.contactId]);
    // Kim could see it but not edit it: not in Kim's Trash.
    expect(await found(kim, true)).toEqual([]);

    expect((await sato.post(`/api/v1/contacts/${made.contactId}/restore`)).status).toBe(200);
    expect(await found(kim)).toEqual([made.contactId]);
    expect(await found(sato, true)).toEqual([]);
  });
});
