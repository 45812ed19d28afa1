import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_PASSWORDS_MAX } from "../../shared/carddav.ts";
import { ApiClient, bootServer, signedIn, type TestServer } from "../../../test/support/server.ts";

/** The app-password API: the secret is shown once, never listed, and works only until revoked. */
let server: TestServer;
let sato: ApiClient;

const davStatus = async (login: string, secret: string) =>
  (
    await fetch(new URL("/dav/", server.url), {
      method: "PROPFIND",
      headers: { authorization: `Basic ${Buffer.from(`${login}:${secret}`).toString("base64")}`, depth: "0" },
    })
  ).status;

beforeAll(async () => {
  server = await bootServer();
  sato = await signedIn(server, "sato@demo.example");
});
afterAll(async () => {
  await server?.stop();
});

describe("app passwords", () => {
  it("tells the member the server URL and user name to enter in their client", async () => {
    const res = await sato.get("/api/v1/me/app-passwords");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ serverUrl: `${server.url}/dav/`, username: "sato@demo.example", items: [] });
  });

  it("shows the secret once, in the answer that made it, and never again", async () => {
    const made = await sato.post("/api/v1/me/app-passwords", { label: "iPhone" });
    expect(made.status).toBe(201);
    expect(made.headers.get("cache-control")).toBe("no-store");
    const { appPassword, secret } = made.json;
    // 256 random bits in lower-case base32, grouped by four for reading aloud or typing.
    expect(secret).toMatch(/^([a-z2-7]{4}-){12}[a-z2-7]{4}$/);
    expect(appPassword).toMatchObject({ label: "iPhone", lastUsedAt: null });

    const list = await sato.get("/api/v1/me/app-passwords");
    expect(list.json.items).toEqual([appPassword]);
    const bare = secret.replace(/-/g, "");
    expect(list.text).not.toContain(bare.slice(0, 12));
    expect(list.text).not.toContain(secret.slice(0, 14));

    // A second one is a different secret; both work.
    const other = (await sato.post("/api/v1/me/app-passwords", { label: "Thunderbird" })).json.secret;
    expect(other).not.toBe(secret);
    expect(await davStatus("sato@demo.example", secret)).toBe(207);
    expect(await davStatus("sato@demo.example", other)).toBe(207);
    const used = (await sato.get("/api/v1/me/app-passwords")).json.items.find((i: { id: string }) => i.id === appPassword.id);
    expect(used.lastUsedAt).not.toBeNull();
  });

  it("revokes one app password without touching the others, and only the member's own", async () => {
    const a = (await sato.post("/api/v1/me/app-passwords", { label: "revoke me" })).json;
    const b = (await sato.post("/api/v1/me/app-passwords", { label: "keep me" })).json;
    const kim = await signedIn(server, "kim@demo.example");
    expect((await kim.delete(`/api/v1/me/app-passwords/${a.appPassword.id}`)).status).toBe(404);
    expect(await davStatus("sato@demo.example", a.secret)).toBe(207);

    expect((await sato.delete(`/api/v1/me/app-passwords/${a.appPassword.id}`)).status).toBe(204);
    expect(await davStatus("sato@demo.example", a.secret)).toBe(401);
    expect(await davStatus("sato@demo.example", b.secret)).toBe(207);
    const ids = (await sato.get("/api/v1/me/app-passwords")).json.items.map((i: { id: string }) => i.id);
    expect(ids).not.toContain(a.appPassword.id);
    expect(ids).toContain(b.appPassword.id);
    expect((await sato.delete(`/api/v1/me/app-passwords/${a.appPassword.id}`)).status).toBe(404);
  });

  it("validates the label, needs a session and its CSRF token, and caps the number per member", async () => {
    const empty = await sato.post("/api/v1/me/app-passwords", { label: "  " });
    expect(empty.status).toBe(400);
    expect(empty.json.code).toBe("validation_failed");
    expect((await sato.post("/api/v1/me/app-passwords", { label: "x".repeat(61) })).status).toBe(400);

    const anonymous = new ApiClient(server.url);
    expect((await anonymous.get("/api/v1/me/app-passwords")).status).toBe(401);
    expect((await anonymous.post("/api/v1/me/app-passwords", { label: "nope" })).status).toBe(401);
    const noCsrf = await sato.request("POST", "/api/v1/me/app-passwords", { label: "forged" }, { "x-csrf-token": "" });
    expect(noCsrf.status).toBe(403);

    const smith = await signedIn(server, "smith@demo.example");
    for (let i = 0; i < APP_PASSWORDS_MAX; i++) expect((await smith.post("/api/v1/me/app-passwords", { label: `device ${i}` })).status).toBe(201);
    const over = await smith.post("/api/v1/me/app-passwords", { label: "one too many" });
    expect(over.status).toBe(409);
    expect(over.json.code).toBe("app_password_limit");
  });
});
