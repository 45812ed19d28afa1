import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { enqueue } from "../jobs/queue.ts";
import { addManual, bootContactsServer, client, memberId, type ContactsTestServer } from "./test-support.ts";

/** DESIGN §2.8–2.9: Trash, restore exactly as it was, purge after the retention, quota counting the Trash. */
const DAY = 86_400_000;
let offset = 0;
const clock = () => new Date(Date.now() + offset);

let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
let admin: ApiClient;

beforeAll(async () => {
  h = await bootContactsServer({ clock });
  [sato, kim, admin] = await Promise.all([client(h, "sato@demo.example"), client(h, "kim@demo.example"), client(h, "admin@demo.example")]);
});
afterAll(async () => {
  await h?.stop();
});

const runJob = async (kind: "contacts.purge-trash" | "contacts.purge-audit") => {
  await h.server.db.transaction((tx) => enqueue(tx, h.server.jobs.get(kind)!, {}));
  await h.drain();
};
const ids = (res: { json: { items: { contactId: string }[] } }) => res.json.items.map((c) => c.contactId);

describe("Trash", () => {
  it("delete → restore brings the contact back exactly as it was, sharing and tags included", async () => {
    const kimId = await memberId(h, "kim@demo.example");
    const c = await addManual(sato, {
      contactName: { lastName: "復元", firstName: "テスト", phoneticLastName: "ふくげん", nickName: "Restore" },
      emails: [{ type: "WORK", email: "restore@example.jp", primary: true }],
      telephones: [{ type: "WORK", telephone: "+81 3-9999-0000", primary: true }],
      organizations: [{ name: "Restore KK", department: "R&D", title: "Lead" }],
      addresses: [{ type: "WORK", country: "Japan", postalCode: "100-0001", region: "Tokyo", locality: "Chiyoda", street: "1-1", primary: true }],
      websites: [{ type: "WORK", url: "https://restore.example.jp" }],
      memo: "keep me",
      tags: { company: ["partner"], mine: ["follow-up"] },
      permission: { accessibleRange: "MEMBER", isCoEditing: true, accessibleMembers: [{ type: "MEMBER", id: kimId }] },
    });
    const before = (await sato.get(`/api/v1/contacts/${c.contactId}`)).json;
    expect(before.permission.accessibleMembers).toEqual([{ type: "MEMBER", id: kimId }]);

    expect((await sato.delete(`/api/v1/contacts/${c.contactId}`)).status).toBe(204);
    expect(ids(await sato.get("/api/v1/contacts"))).not.toContain(c.contactId);
    expect((await sato.get(`/api/v1/contacts/${c.contactId}`)).status).toBe(404);
    const trash = await sato.get("/api/v1/contacts/trash");
    const trashed = trash.json.items.find((i: { contactId: string }) => i.contactId === c.contactId);
    expect(trashed).toMatchObject({ deletedBy: await memberId(h, "sato@demo.example") });
    expect(trashed.deletedAt).toBeTruthy();
    // Kim co-edits it, so it is in Kim's Trash too.
    expect(ids(await kim.get("/api/v1/contacts/trash"))).toContain(c.contactId);

    const restored = await sato.post(`/api/v1/contacts/${c.contactId}/restore`);
    expect(restored.status).toBe(200);
    const after = (await sato.get(`/api/v1/contacts/${c.contactId}`)).json;
    const strip = ({ version: _v, updatedAt: _u, ...rest }: Record<string, unknown>) => rest;
    expect(strip(after)).toEqual(strip(before));
    expect(after.deletedAt).toBeUndefined();
    expect((await kim.get(`/api/v1/contacts/${c.contactId}`)).json.permission).toEqual(before.permission);
  });

  it("permanent delete removes it from the Trash for good (only from the Trash)", async () => {
    const c = await addManual(sato, { contactName: { lastName: "Gone" } });
    expect((await sato.delete(`/api/v1/contacts/${c.contactId}/permanent`)).status).toBe(404);
    await sato.delete(`/api/v1/contacts/${c.contactId}`);
    expect((await kim.delete(`/api/v1/contacts/${c.contactId}/permanent`)).status).toBe(404);
    expect((await sato.delete(`/api/v1/contacts/${c.contactId}/permanent`)).status).toBe(204);
    expect(ids(await sato.get("/api/v1/contacts/trash"))).not.toContain(c.contactId);
    expect((await sato.post(`/api/v1/contacts/${c.contactId}/restore`)).status).toBe(404);
  });

  it("Trash counts toward the quota: 409 contact_quota_exceeded until the Trash is emptied", async () => {
    const settings = (await admin.get("/api/v1/admin/contact-settings")).json;
    await h.server.db.query("UPDATE tenants SET contact_quota = $2 WHERE id = (SELECT tenant_id FROM members WHERE id = $1)", [
      await memberId(h, "sato@demo.example"),
      settings.contactCount + 1,
    ]);
    const last = await addManual(sato, { contactName: { lastName: "Last one" } });
    await sato.delete(`/api/v1/contacts/${last.contactId}`);
    const over = await sato.post("/api/v1/contacts", { emails: [{ email: "over@example.com" }] });
    expect(over.status).toBe(409);
    expect(over.json.code).toBe("contact_quota_exceeded");
    // Restoring does not add: it was counted all along.
    expect((await sato.post(`/api/v1/contacts/${last.contactId}/restore`)).status).toBe(200);
    await sato.delete(`/api/v1/contacts/${last.contactId}`);
    await sato.delete(`/api/v1/contacts/${last.contactId}/permanent`);
    expect((await sato.post("/api/v1/contacts", { emails: [{ email: "fits@example.com" }] })).status).toBe(201);
    await h.server.db.query("UPDATE tenants SET contact_quota = 100000");
  });

  it("purges Trash older than the tenant's retention (admin-set), keeps younger items, and audits the purge", async () => {
    expect((await admin.put("/api/v1/admin/contact-settings", { trashRetentionDays: 7 })).json.trashRetentionDays).toBe(7);
    const old = await addManual(sato, { contactName: { lastName: "Old trash" } });
    await sato.delete(`/api/v1/contacts/${old.contactId}`);
    offset = 5 * DAY;
    const young = await addManual(sato, { contactName: { lastName: "Young trash" } });
    await sato.delete(`/api/v1/contacts/${young.contactId}`);

    offset = 7 * DAY + 60_000;
    await runJob("contacts.purge-trash");
    const trash = ids(await sato.get("/api/v1/contacts/trash?limit=100"));
    expect(trash).not.toContain(old.contactId);
    expect(trash).toContain(young.contactId);
    const purged = await admin.get(`/api/v1/admin/audit?action=contact.purge&target=${old.contactId}`);
    expect(purged.json.items).toHaveLength(1);
    expect(purged.json.items[0].actor).toBeNull();
  });

  it("drops audit entries older than 180 days", async () => {
    const before = (await admin.get("/api/v1/admin/audit?limit=500")).json.items.length;
    expect(before).toBeGreaterThan(0);
    // Sessions made before a jump expire on the moved clock: sign in again after each.
    offset = 179 * DAY;
    await runJob("contacts.purge-audit");
    expect((await (await client(h, "admin@demo.example")).get("/api/v1/admin/audit?limit=500")).json.items.length).toBe(before);
    offset = 181 * DAY;
    await runJob("contacts.purge-audit");
    expect((await (await client(h, "admin@demo.example")).get("/api/v1/admin/audit?limit=500")).json.items).toEqual([]);
    offset = 0;
  });
});
