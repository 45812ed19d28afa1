import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControlClient } from "../../line-emulator/control-client.ts";
import { bootServer, type TestServer } from "../../../test/support/server.ts";
import { waitFor } from "../../../test/support/line-webhooks.ts";
import { SignJWT } from "jose";
import { LoginError, verifyIdToken, type LoginResult } from "./login.ts";
import { lineRepository, type ChannelRow } from "./repository.ts";

let server: TestServer;
let browser: Browser;
let channel: ChannelRow;

beforeAll(async () => {
  server = await bootServer();
  channel = (await lineRepository.channelByLineId(server.db, server.demoLineChannelId!))!;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("LINE Login v2.1 (code flow, PKCE, ID token) against the emulator in Chromium", () => {
  it("signs a LINE user in, befriends the account (bot_prompt) and hands who it was to the completion hook", async () => {
    const { url } = await server.line.login.beginLogin(channel, { invitation: "inv-123" });
    const authorize = new URL(url);
    expect(authorize.origin).toBe(server.lineEmulator!.url);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: "code",
      client_id: channel.login_channel_id,
      redirect_uri: `${server.url}/line/login/callback`,
      scope: "profile openid",
      code_challenge_method: "S256",
      bot_prompt: "aggressive",
    });
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const done: LoginResult[] = [];
    server.line.login.setCompletion(async (r) => {
      done.push(r);
      return { redirect: `/line/login/callback-done-for-test?u=${r.lineUserId}` };
    });
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.fill("#newName", "Login Taro");
      await Promise.all([page.waitForURL(/callback-done-for-test/), page.click('button[value="allow"]')]);
      expect(done).toHaveLength(1);
      const [result] = done;
      expect(result).toMatchObject({ displayName: "Login Taro", purpose: { invitation: "inv-123" } });
      expect(result!.channel.id).toBe(channel.id);
      const users = await new EmulatorControlClient(server.lineEmulator!.url).users();
      expect(users.find((u) => u.displayName === "Login Taro")?.userId).toBe(result!.lineUserId);
      // The LINE Login sub is the same id the webhook's follow event carries.
      await waitFor(async () => (await lineRepository.lineUserByUserId(server.db, channel.id, result!.lineUserId))?.follow_state === "followed");
    } finally {
      server.line.login.setCompletion(undefined);
      await page.close();
    }
  });

  it("shows who signed in without a hook, refuses a reused or unknown state, and explains a cancelled login", async () => {
    const { url } = await server.line.login.beginLogin(channel, {});
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.fill("#newName", "Default Page User");
      await Promise.all([page.waitForURL(/\/line\/login\/callback\?/), page.click('button[value="allow"]')]);
      expect(await page.textContent("h1")).toBe("Signed in with LINE");
      expect(await page.textContent("p")).toContain("Default Page User");

      // The same callback again: the state is single-use.
      const replay = await page.goto(page.url());
      expect(replay?.status()).toBe(400);
      expect(await page.textContent("h1")).toBe("This sign-in link has expired");

      const forged = await fetch(`${server.url}/line/login/callback?code=abc&state=forged`);
      expect(forged.status).toBe(400);
      expect(forged.headers.get("content-type")).toContain("text/html");

      const second = await server.line.login.beginLogin(channel, {});
      await page.goto(second.url);
      await page.click('button[value="cancel"]');
      await page.waitForURL(/error=access_denied/);
      expect(await page.textContent("h1")).toBe("LINE Login did not finish");
    } finally {
      await page.close();
    }
  });

});

describe("ID token verification", () => {
  const secret = "fedcba9876543210fedcba9876543210";
  const now = new Date("2026-01-01T00:00:00Z");
  const sec = Math.floor(now.getTime() / 1000);
  const token = (o: { key?: string; iss?: string; aud?: string; nonce?: string; exp?: number; alg?: string } = {}) =>
    new SignJWT({ name: "Taro", nonce: o.nonce ?? "n-1" })
      .setProtectedHeader({ alg: o.alg ?? "HS256" })
      .setIssuer(o.iss ?? "https://access.line.me")
      .setSubject("U0123456789abcdef0123456789abcdef")
      .setAudience(o.aud ?? "1650000002")
      .setIssuedAt(sec - 10)
      .setExpirationTime(o.exp ?? sec + 3600)
      .sign(new TextEncoder().encode(o.key ?? secret));
  const expected = { secret, loginChannelId: "1650000002", nonce: "n-1", now };

  it("accepts LINE's token and refuses a wrong key, issuer, audience, nonce, algorithm or an expired one", async () => {
    expect((await verifyIdToken(await token(), expected)).sub).toBe("U0123456789abcdef0123456789abcdef");
    const bad = [
      await token({ key: "another-secret-another-secret-00" }),
      await token({ iss: "https://evil.example" }),
      await token({ aud: "1999999999" }),
      await token({ nonce: "n-2" }),
      await token({ exp: sec - 1 }),
      await token({ alg: "HS512" }),
    ];
    for (const t of bad) await expect(verifyIdToken(t, expected)).rejects.toBeInstanceOf(LoginError);
  });
});
