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
    // No proxy is trusted by default: a client cannot name another address to get round the lock.
    expect((await signInFrom(server, "203.0.113.77", "sato@demo.example", DEMO_PASSWORD)).status).toBe(429);
  });
});

/** A sign-in that a reverse proxy forwarded, with the X-Forwarded-For it would send. */
const signInFrom = (s: TestServer, forwardedFor: string, login: string, password: string) =>
  new ApiClient(s.url).request("POST", "/api/v1/session", { login, password }, { "x-forwarded-for": forwardedFor });

describe("sign-in throttling behind one trusted reverse proxy (TRUST_PROXY_HOPS=1)", () => {
  let proxied: TestServer;
  beforeAll(async () => {
    proxied = await bootServer({ TRUST_PROXY_HOPS: "1" });
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  it("counts each client by the address the proxy saw, and believes nothing the client wrote before it", async () => {
    const attacker = "203.0.113.5";
    let status = 401;
    for (let i = 0; i < CLIENT_SIGNIN_LIMIT && status === 401; i++) {
      // The client's own X-Forwarded-For entries stand left of the one the proxy appends.
      const forwarded = i % 2 ? `198.51.100.${i}, ${attacker}` : attacker;
      status = (await signInFrom(proxied, forwarded, `guess-${i}@demo.example`, "wrong-password")).status;
    }
    expect(status).toBe(401);
    const locked = await signInFrom(proxied, attacker, "sato@demo.example", DEMO_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.json.detail).toContain("from this address");
    // Another client behind the same proxy (the same TCP peer) signs in.
    expect((await signInFrom(proxied, "203.0.113.6", "sato@demo.example", DEMO_PASSWORD)).status).toBe(200);
  });
});
