import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, bootServer, signedIn, DEMO_PASSWORD, type TestServer } from "../../../test/support/server.ts";
import { CLIENT_SIGNIN_LIMIT, SIGNIN_LIMIT } from "./signin-throttle.ts";

/**
 * Password guessing: failures count per member whatever identifier is typed, and per client
 * address across members; the same for CardDAV's app passwords, in their own buckets.
 * The tests share one client address, so the address-wide test runs last.
 */
let server: TestServer;

beforeAll(async () => {
  server = await bootServer();
});
afterAll(async () => {
  await server?.stop();
});

const signIn = (login: string, password: string) => new ApiClient(server.url).post("/api/v1/session", { login, password });
const basic = (login: string, secret: string) => `Basic ${Buffer.from(`${login}:${secret}`).toString("base64")}`;
const propfind = (auth: string) => fetch(`${server.url}/dav/`, { method: "PROPFIND", headers: { authorization: auth, depth: "0" } });

describe("sign-in throttling", () => {
  it("locks the member after 5 failures even when e-mail and ID alternate", async () => {
    for (let i = 0; i < SIGNIN_LIMIT; i++) expect((await signIn(i % 2 ? "smith" : "smith@demo.example", "wrong-password")).status).toBe(401);
    for (const login of ["smith", "SMITH@demo.example"]) {
      const locked = await signIn(login, DEMO_PASSWORD);
      expect(locked.status).toBe(429);
      expect(locked.json.code).toBe("signin_locked");
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("locks a member's CardDAV app passwords after 5 failures (429 + Retry-After), apart from the web sign-in", async () => {
    const kim = await signedIn(server, "kim@demo.example");
    const { secret } = (await kim.post("/api/v1/me/app-passwords", { label: "phone" })).json as { secret: string };
    expect((await propfind(basic("kim@demo.example", secret))).status).toBe(207);
    for (let i = 0; i < SIGNIN_LIMIT; i++) expect((await propfind(basic(i % 2 ? "kim" : "kim@demo.example", `wrong-${i}`))).status).toBe(401);
    const locked = await propfind(basic("kim@demo.example", secret));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await signIn("kim@demo.example", DEMO_PASSWORD)).status).toBe(200);
  });

  it("locks a client address that fails across many logins, even for a right password; 429 + Retry-After", async () => {
    let status = 401;
    for (let i = 0; i < CLIENT_SIGNIN_LIMIT && status === 401; i++) status = (await signIn(`guess-${i}@demo.example`, "wrong-password")).status;
    const locked = await signIn("sato@demo.example", DEMO_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.json.detail).toContain("from this address");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
