import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, bootServer, signedIn, type TestServer } from "../../../test/support/server.ts";

// A 1×1 PNG.
const PNG = Uint8Array.from(
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"),
);

let server: TestServer;
beforeAll(async () => {
  server = await bootServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("foundation", () => {
  it("is healthy once migrations ran, and serves an OpenAPI 3.1 document", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/session", "/api/v1/admin/line-policy"]));
    const [row] = await server.db.query<{ n: number }>("SELECT count(*) AS n FROM schema_migrations");
    expect(row!.n).toBeGreaterThanOrEqual(2);
  });

  it("answers unknown API paths and every failure as problem+json with a request id", async () => {
    const res = await new ApiClient(server.url).get("/api/v1/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.json).toMatchObject({ type: "/problems/not_found", status: 404 });
    expect(res.json.requestId).toBe(res.headers.get("x-request-id"));
  });
});

describe("sign-in", () => {
  it("signs in with e-mail or ID, and signs out", async () => {
    const byEmail = await signedIn(server, "sato@demo.example");
    const me = await byEmail.get("/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.json.member.loginId).toBe("sato");
    expect(me.json.tenant.plan).toBe("core");
    expect(me.json.lineAccess).toEqual({ allowed: true });
    expect(me.headers.get("set-cookie")).toBeNull();

    const byId = await signedIn(server, "KIM");
    expect((await byId.get("/api/v1/me")).json.member.email).toBe("kim@demo.example");
    expect((await byId.delete("/api/v1/session")).status).toBe(204);
    const after = await byId.get("/api/v1/me");
    expect(after.status).toBe(401);
    expect(after.json.code).toBe("unauthenticated");
  });

  it("sets an HTTP-only, SameSite session cookie", async () => {
    const res = await new ApiClient(server.url).post("/api/v1/session", { login: "sato", password: "demo-password-1" });
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^tsunagu_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it("refuses a wrong password, then locks the login after 5 failures even for the right one", async () => {
    const c = new ApiClient(server.url);
    for (let i = 0; i < 5; i++) {
      const res = await c.post("/api/v1/session", { login: "smith@demo.example", password: "wrong-password" });
      expect(res.status).toBe(401);
      expect(res.json.code).toBe("signin_failed");
    }
    const locked = await c.post("/api/v1/session", { login: "smith@demo.example", password: "demo-password-1" });
    expect(locked.status).toBe(429);
    expect(locked.json.code).toBe("signin_locked");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(c.cookie).toBe("");
  });

  it("does not reveal whether a login exists", async () => {
    const res = await new ApiClient(server.url).post("/api/v1/session", { login: "nobody@demo.example", password: "x" });
    expect(res.status).toBe(401);
    expect(res.json.detail).toBe("The e-mail/ID or the password is wrong.");
  });

  it("validates the body at the edge", async () => {
    const c = new ApiClient(server.url);
    const empty = await c.post("/api/v1/session", { login: "" });
    expect(empty.status).toBe(400);
    expect(empty.json.code).toBe("validation_failed");
    expect(empty.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(["login", "password"]);
    const malformed = await c.request("POST", "/api/v1/session", undefined, { "content-type": "application/json" });
    expect(malformed.status).toBe(400);
    const broken = await fetch(`${server.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(broken.status).toBe(400);
    expect((await broken.json()).code).toBe("malformed_json");
  });
});

describe("CSRF", () => {
  it("rejects a state-changing request without the session's token and changes nothing", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const attacker = new ApiClient(server.url);
    attacker.cookie = admin.cookie;
    const res = await attacker.put("/api/v1/admin/plan", { plan: "standard" });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe("csrf_rejected");
    attacker.csrf = "forged-token-of-the-same-length-00000000";
    expect((await attacker.put("/api/v1/admin/plan", { plan: "standard" })).status).toBe(403);
    expect((await admin.get("/api/v1/me")).json.tenant.plan).toBe("core");
  });
});

describe("tenant isolation", () => {
  it("a member of company B cannot see company A's members (404), nor list them", async () => {
    const tenantB = await server.directory.createTenant({ name: "Other Co", plan: "core" });
    await server.directory.addMember(tenantB, null, {
      loginId: "other-admin",
      email: "admin@other.example",
      displayName: "Other Admin",
      role: "admin",
      password: "other-password-1",
    });
    const b = await signedIn(server, "admin@other.example", "other-password-1");
    const a = await signedIn(server, "sato@demo.example");
    const satoId = (await a.get("/api/v1/me")).json.member.id;

    expect((await b.get(`/api/v1/members/${satoId}`)).status).toBe(404);
    expect((await b.patch(`/api/v1/members/${satoId}`, { displayName: "Hacked" })).status).toBe(404);
    expect((await b.put(`/api/v1/admin/members/${satoId}/line-access`, { allowed: false })).status).toBe(404);
    const list = await b.get("/api/v1/members");
    expect(list.json.items.map((m: { email: string }) => m.email)).toEqual(["admin@other.example"]);
    expect((await a.get(`/api/v1/members/${satoId}`)).json.displayName).toBe("佐藤 花子");
  });
});

describe("members", () => {
  it("admins add members; IDs are unique ignoring case; members cannot add", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const created = await admin.post("/api/v1/members", {
      loginId: "Tanaka.K",
      email: "tanaka@demo.example",
      displayName: "田中 健",
      password: "tanaka-password",
    });
    expect(created.status).toBe(201);
    expect(created.json.lineAllowed).toBe(true);
    const dup = await admin.post("/api/v1/members", {
      loginId: "tanaka.k",
      email: "tanaka2@demo.example",
      displayName: "Dup",
      password: "tanaka-password",
    });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("login_id_taken");
    const bad = await admin.post("/api/v1/members", { loginId: "a b", email: "nope", displayName: "", password: "short" });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(["displayName", "email", "loginId", "password"]);

    const sato = await signedIn(server, "sato@demo.example");
    const refused = await sato.post("/api/v1/members", { loginId: "x123", email: "x@demo.example", displayName: "X", password: "xxxxxxxx" });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("admin_required");
  });

  it("uploads a photo (JPG/PNG/GIF < 10 MB) and refuses anything else", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    const id = (await sato.get("/api/v1/me")).json.member.id;
    const ok = await sato.request("PUT", `/api/v1/members/${id}/photo`, PNG, { "content-type": "image/png" });
    expect(ok.status).toBe(200);
    const photo = await sato.get(ok.json.photoUrl);
    expect(photo.status).toBe(200);
    expect(photo.headers.get("content-type")).toBe("image/png");

    const text = await sato.request("PUT", `/api/v1/members/${id}/photo`, new TextEncoder().encode("hello"), { "content-type": "image/png" });
    expect(text.status).toBe(415);
    const huge = new Uint8Array(10 * 1024 * 1024 + 1);
    huge.set(PNG);
    const tooBig = await sato.request("PUT", `/api/v1/members/${id}/photo`, huge, { "content-type": "image/png" });
    expect(tooBig.status).toBe(413);
    expect((await sato.get("/api/v1/me")).json.member.photoUrl).toBe(ok.json.photoUrl);
  });
});

describe("the LINE gate (DESIGN §2.1) over HTTP", () => {
  it("answers plan × policy × member grant exactly", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const kim = await signedIn(server, "kim@demo.example");
    const kimId = (await kim.get("/api/v1/me")).json.member.id;
    const policy = (p: object) => admin.put("/api/v1/admin/line-policy", { policy: "allow", grant: "all", grantNewMembers: true, filesAllowed: true, ...p });
    const access = async () => {
      const res = await kim.get("/api/v1/line/access");
      return res.status === 200 ? "allowed" : `${res.status} ${res.json.code}`;
    };

    const cases: [string, object, boolean, string][] = [
      ["standard", { policy: "allow", grant: "all" }, true, "403 plan_required"],
      ["standard", { policy: "deny" }, true, "403 plan_required"],
      ["core", { policy: "deny" }, true, "403 line_not_allowed"],
      ["core", { policy: "allow", grant: "all" }, false, "allowed"],
      ["core", { policy: "allow", grant: "by_member" }, false, "403 line_not_allowed"],
      ["core", { policy: "allow", grant: "by_member" }, true, "allowed"],
    ];
    for (const [plan, p, kimGranted, expected] of cases) {
      expect((await admin.put("/api/v1/admin/plan", { plan })).status).toBe(200);
      expect((await policy(p)).status).toBe(200);
      expect((await admin.put(`/api/v1/admin/members/${kimId}/line-access`, { allowed: kimGranted })).status).toBe(200);
      expect(`${plan} ${JSON.stringify(p)} granted=${kimGranted}: ${await access()}`).toBe(
        `${plan} ${JSON.stringify(p)} granted=${kimGranted}: ${expected}`,
      );
    }
    const me = (await kim.get("/api/v1/me")).json;
    expect(me.lineAccess).toEqual({ allowed: true });
  });

  it("refuses to grant a member whose name LINE refuses, with a clear message, and changes nothing", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const created = await admin.post("/api/v1/members", {
      loginId: "line-desk",
      email: "desk@demo.example",
      displayName: "LINE窓口",
      password: "desk-password",
    });
    await admin.put("/api/v1/admin/line-policy", { policy: "allow", grant: "by_member", grantNewMembers: false, filesAllowed: true });
    await admin.put(`/api/v1/admin/members/${created.json.id}/line-access`, { allowed: false });
    const res = await admin.put(`/api/v1/admin/members/${created.json.id}/line-access`, { allowed: true });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("name_refused_by_line");
    expect(res.json.detail).toContain('the word "LINE"');
    expect((await admin.get(`/api/v1/members/${created.json.id}`)).json.lineAllowed).toBe(false);
  });

  it("only admins change the plan or policy", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    const res = await sato.put("/api/v1/admin/plan", { plan: "standard" });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe("admin_required");
  });
});
