import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase } from "../../../test/support/fresh-database.ts";
import { waitFor } from "../../../test/support/line-webhooks.ts";
import { ApiClient, bootServer, signedIn, type TestServer } from "../../../test/support/server.ts";
import { migrate } from "../db/migrate.ts";
import { AUTH_CHANNEL, createAuthCache } from "./auth-cache.ts";

/**
 * Sign-ins are cached in memory (issue 13's API overhead); what a session may do must still change
 * on the next request. Each check first warms the cache with a few requests, so a stale copy
 * would be what answers.
 */
let server: TestServer;
let admin: ApiClient;

beforeAll(async () => {
  server = await bootServer();
  admin = await signedIn(server, "admin@demo.example");
});
afterAll(async () => {
  await server?.stop();
});

const warm = async (client: ApiClient) => {
  for (let i = 0; i < 3; i++) expect((await client.get("/api/v1/me")).status).toBe(200);
};

describe("cached sign-ins", () => {
  it("a sign-out ends the session for the very next request", async () => {
    const kim = await signedIn(server, "kim@demo.example");
    await warm(kim);
    const cookie = kim.cookie;
    expect((await kim.delete("/api/v1/session")).status).toBe(204);
    const replay = new ApiClient(server.url);
    replay.cookie = cookie;
    const after = await replay.get("/api/v1/me");
    expect(after.status).toBe(401);
  });

  it("an administrator's change to a member and to the company applies to their next request", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    const satoId = (await sato.get("/api/v1/me")).json.member.id as string;
    await warm(sato);
    expect((await admin.put(`/api/v1/admin/members/${satoId}/line-access`, { allowed: false })).status).toBe(200);
    expect((await sato.get("/api/v1/me")).json.member.lineAllowed).toBe(false);
    expect((await admin.put(`/api/v1/admin/members/${satoId}/line-access`, { allowed: true })).status).toBe(200);
    expect((await sato.get("/api/v1/me")).json.member.lineAllowed).toBe(true);

    // A role is what the next request is allowed to do.
    expect((await sato.get("/api/v1/admin/audit")).status).toBe(403);
    expect((await admin.patch(`/api/v1/members/${satoId}`, { role: "admin" })).status).toBe(200);
    expect((await sato.get("/api/v1/admin/audit")).status).toBe(200);
    expect((await admin.patch(`/api/v1/members/${satoId}`, { role: "member" })).status).toBe(200);
    expect((await sato.get("/api/v1/admin/audit")).status).toBe(403);

    await warm(sato);
    expect((await admin.put("/api/v1/admin/contact-settings", { trashRetentionDays: 9 })).status).toBe(200);
    expect((await sato.get("/api/v1/me")).json.tenant.trashRetentionDays).toBe(9);
  });

  it("a change written by anyone else (another instance, the admin CLI, psql) reaches the cache through the database", async () => {
    const smith = await signedIn(server, "smith@demo.example");
    await warm(smith);
    // Not through the service: as another process would, straight into the table.
    await server.db.query("UPDATE members SET department = 'Moved by SQL' WHERE email = 'smith@demo.example'");
    await waitFor(async () => (await smith.get("/api/v1/me")).json.member.department === "Moved by SQL", 5_000, "the cached member to be forgotten (sooner than its 10 s age limit)");
    await server.db.query("DELETE FROM sessions WHERE member_id = (SELECT id FROM members WHERE email = 'smith@demo.example')");
    await waitFor(async () => (await smith.get("/api/v1/me")).status === 401, 5_000, "the deleted session to be refused");
  });

  it("carries the member's teams: joining or leaving one, written anywhere, changes what their next contact list shows", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    const smith = await signedIn(server, "smith@demo.example");
    const salesId = (await sato.get("/api/v1/teams")).json.items.find((t: { name: string }) => t.name === "Sales").id as string;
    const created = await sato.post("/api/v1/contacts", { contactName: { lastName: "Teamroster", firstName: "Sales" }, telephones: [{ telephone: "+81 90-0000-0000" }] });
    expect(created.status).toBe(201);
    const shared = await sato.put(`/api/v1/contacts/${created.json.contactId}/permission`, {
      accessibleRange: "MEMBER",
      isCoEditing: false,
      accessibleMembers: [{ type: "TEAM", id: salesId }],
    });
    expect(shared.status).toBe(200);
    const smithSees = async () => {
      const res = await smith.get("/api/v1/contacts?q=Teamroster");
      expect(res.status).toBe(200);
      return res.json.items.length as number;
    };
    // Warm: smith's sign-in, teams and all, is cached by now.
    for (let i = 0; i < 3; i++) expect(await smithSees()).toBe(0);
    // Straight into the table, as another instance or psql would; the cache keeps an entry 10 s at most.
    await server.db.query("INSERT INTO team_members (team_id, member_id) SELECT $1, id FROM members WHERE email = 'smith@demo.example'", [salesId]);
    await waitFor(async () => (await smithSees()) === 1, 5_000, "smith's list to show the team's contact once he joined the team");
    await server.db.query("DELETE FROM team_members WHERE team_id = $1 AND member_id = (SELECT id FROM members WHERE email = 'smith@demo.example')", [salesId]);
    await waitFor(async () => (await smithSees()) === 0, 5_000, "smith's list to lose it once he left");
  });
});

describe.runIf(!!process.env.TEST_DATABASE_URL)("the sign-in cache while its listening connection is lost (PostgreSQL)", () => {
  it("serves nothing from memory until the connection is back, then caches again", async () => {
    const { db, dispose } = await openTestDatabase("tsunagu_auth");
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      await migrate(db);
      const cache = createAuthCache<{ at: Date }>({ db, clock: () => new Date(), expiresAt: () => new Date(Date.now() + 60_000) });
      await cache.start();
      let loads = 0;
      const load = async () => (loads++, { at: new Date() });
      await cache.get("k", load);
      await cache.get("k", load);
      expect(loads).toBe(1);

      const dbName = (await db.query<{ name: string }>("SELECT current_database() AS name"))[0]!.name;
      const listening = () =>
        admin.query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query = $2", [dbName, `LISTEN ${pg.escapeIdentifier(AUTH_CHANNEL)}`]);
      const { rows } = await waitFor(async () => ((await listening()).rows.length ? listening() : undefined), 10_000, "the LISTEN connection");
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
      // Every lookup reads the database while nobody listens: a change would go unheard.
      await waitFor(async () => {
        const before = loads;
        await cache.get("k", load);
        return loads === before + 1;
      }, 10_000, "the cache to stop answering");
      await waitFor(async () => (await listening()).rows.length > 0, 30_000, "the LISTEN connection to be back");
      await waitFor(async () => {
        const before = loads;
        await cache.get("k", load);
        await cache.get("k", load);
        return loads === before + 1;
      }, 10_000, "the cache to answer again");
      await cache.stop();
    } finally {
      await admin.end();
      await dispose();
    }
  });
});
