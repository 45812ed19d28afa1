import crypto from "node:crypto";
import { messagingApi } from "@line/bot-sdk";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControlClient } from "./control-client.ts";
import { startLineEmulator, type LineEmulator } from "./emulator.ts";
import { preloadSpecs, validateWebhookBody } from "./spec.ts";
import { startWebhookReceiver, testChannel } from "./test-receiver.ts";

let emu: LineEmulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const channel = testChannel();
const redirectUri = "http://127.0.0.1:9/line/callback";

beforeAll(async () => {
  preloadSpecs();
  receiver = await startWebhookReceiver();
  emu = await startLineEmulator({ port: 0 });
  await new EmulatorControlClient(emu.url).registerChannel({ ...channel, webhookUrl: receiver.url });
});
afterAll(async () => {
  await emu.close();
  await receiver.close();
});

function pkce() {
  const verifier = crypto.randomBytes(32).toString("base64url");
  return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeParams(challenge: string, nonce: string) {
  return new URLSearchParams({
    response_type: "code",
    client_id: channel.loginChannelId,
    redirect_uri: redirectUri,
    state: "st-123",
    scope: "profile openid",
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
    bot_prompt: "aggressive",
  });
}

/** What the browser does: load the consent page, then submit its form. */
async function consent(params: URLSearchParams, choices: Record<string, string>, cookie = "") {
  const page = await fetch(`${emu.url}/oauth2/v2.1/authorize?${params}`, { headers: { cookie } });
  expect(page.status).toBe(200);
  const html = await page.text();
  const res = await fetch(`${emu.url}/oauth2/v2.1/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ ...Object.fromEntries(params), ...choices }),
  });
  expect(res.status).toBe(302);
  return { html, location: new URL(res.headers.get("location")!), setCookie: res.headers.get("set-cookie") ?? "" };
}

async function exchange(code: string, verifier: string, overrides: Record<string, string> = {}) {
  const res = await fetch(`${emu.url}/oauth2/v2.1/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      client_id: channel.loginChannelId,
      client_secret: channel.loginChannelSecret,
      code_verifier: verifier,
      ...overrides,
    }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

describe("LINE Login v2.1", () => {
  it("runs the code flow with PKCE, adds the OA as a friend and issues a verifiable ID token", async () => {
    const { challenge } = pkce();
    const nonce = crypto.randomUUID();
    const { html, location, setCookie } = await consent(authorizeParams(challenge, nonce), { decision: "allow", newName: "Mika", addFriend: "1" });
    expect(html).toContain(channel.botName);
    expect(html).toMatch(/name="addFriend" value="1"\s+checked/);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get("state")).toBe("st-123");
    expect(location.searchParams.get("friendship_status_changed")).toBe("true");
    expect(setCookie).toContain("line_emulator_user=");

    const follow = (await receiver.waitFor(1))[0]!;
    expect(validateWebhookBody(follow.json).errors).toEqual([]);
    expect(follow.json.events[0]).toMatchObject({ type: "follow", follow: { isUnblocked: false } });

    const code = location.searchParams.get("code")!;
    const wrong = await exchange(code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe("invalid_grant");

    // The failed attempt spent the code, as a single-use code should be.
    const { verifier: v2, challenge: c2 } = pkce();
    const again = await consent(authorizeParams(c2, nonce), { decision: "allow", userId: (follow.json.events[0]!.source as { userId: string }).userId }, setCookie.split(";")[0]);
    expect(again.location.searchParams.get("friendship_status_changed")).toBe("false");
    const tokens = await exchange(again.location.searchParams.get("code")!, v2);
    expect(tokens.status).toBe(200);
    expect(tokens.json).toMatchObject({ token_type: "Bearer", scope: "profile openid" });
    expect((await exchange(again.location.searchParams.get("code")!, v2)).status).toBe(400);

    const { payload } = await jwtVerify(tokens.json.id_token!, new TextEncoder().encode(channel.loginChannelSecret), {
      issuer: "https://access.line.me",
      audience: channel.loginChannelId,
    });
    expect(payload).toMatchObject({ nonce, name: "Mika" });
    const userId = payload.sub!;
    expect(userId).toMatch(/^U[0-9a-f]{32}$/);

    // The same id works on the Messaging API.
    const bot = new messagingApi.MessagingApiClient({ channelAccessToken: channel.accessToken, baseURL: emu.url });
    expect((await bot.getProfile(userId)).displayName).toBe("Mika");

    const verify = await fetch(`${emu.url}/oauth2/v2.1/verify`, {
      method: "POST",
      body: new URLSearchParams({ id_token: tokens.json.id_token!, client_id: channel.loginChannelId, nonce }),
    });
    expect(verify.status).toBe(200);
    expect(await verify.json()).toMatchObject({ sub: userId, aud: channel.loginChannelId });
    const badNonce = await fetch(`${emu.url}/oauth2/v2.1/verify`, {
      method: "POST",
      body: new URLSearchParams({ id_token: tokens.json.id_token!, client_id: channel.loginChannelId, nonce: "other" }),
    });
    expect(badNonce.status).toBe(400);
    expect(await badNonce.json()).toMatchObject({ error: "invalid_request" });

    const auth = { authorization: `Bearer ${tokens.json.access_token}` };
    expect(await (await fetch(`${emu.url}/v2/profile`, { headers: auth })).json()).toMatchObject({ userId, displayName: "Mika" });
    expect(await (await fetch(`${emu.url}/friendship/v1/status`, { headers: auth })).json()).toEqual({ friendFlag: true });
  });

  it("sends the user back with access_denied on cancel", async () => {
    const { challenge } = pkce();
    const { location } = await consent(authorizeParams(challenge, "n"), { decision: "cancel" });
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("st-123");
    expect(location.searchParams.has("code")).toBe(false);
  });

  it("rejects a mismatched redirect_uri and an unknown client", async () => {
    const { verifier, challenge } = pkce();
    const { location } = await consent(authorizeParams(challenge, "n"), { decision: "allow", newName: "Ren" });
    const res = await exchange(location.searchParams.get("code")!, verifier, { redirect_uri: "http://127.0.0.1:9/elsewhere" });
    expect(res.status).toBe(400);
    const page = await fetch(`${emu.url}/oauth2/v2.1/authorize?response_type=code&client_id=999&redirect_uri=x&state=s`);
    expect(page.status).toBe(400);
  });
});
