import crypto from "node:crypto";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { jwtVerify, SignJWT } from "jose";
import { formOf } from "../api/tokens.ts";
import { randomToken } from "../ids.ts";
import { DISPLAY_NAME_MAX } from "../state.ts";
import type { LinePlatform } from "../platform.ts";
import { html, page } from "../ui/html.ts";
import { PERSONA_COOKIE, rememberPersona } from "../ui/persona-cookie.ts";
import { authorizePage } from "./authorize-page.ts";

interface AuthCode {
  loginChannelId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
}

interface LoginToken {
  loginChannelId: string;
  userId: string;
  scope: string;
  expiresAt: number;
}

const CODE_TTL_MS = 10 * 60_000;
const ACCESS_TOKEN_S = 30 * 24 * 3600;
export const ID_TOKEN_ISSUER = "https://access.line.me";

/** LINE Login v2.1: authorize (consent + bot link), token, verify, profile and friendship status. */
export function loginRoutes(platform: LinePlatform) {
  const app = new Hono();
  const codes = new Map<string, AuthCode>();
  const accessTokens = new Map<string, LoginToken>();
  const refreshTokens = new Map<string, LoginToken>();

  const badRequest = (message: string) => page("LINE Login", html`<section><h2>Error</h2><p>${message}</p></section>`);

  app.get("/oauth2/v2.1/authorize", (c) => {
    const q = new URL(c.req.url).searchParams;
    const channel = platform.state.channelByLoginId(q.get("client_id") ?? "");
    if (!channel) return c.html(badRequest("Invalid client_id."), 400);
    if (q.get("response_type") !== "code" || !URL.canParse(q.get("redirect_uri") ?? "") || !q.get("state")) {
      return c.html(badRequest("response_type=code, redirect_uri and state are required."), 400);
    }
    const current = getCookie(c, PERSONA_COOKIE);
    const currentUserId = current && platform.state.personas.has(current) ? current : undefined;
    return c.html(
      authorizePage({
        channel,
        personas: [...platform.state.personas.values()],
        currentUserId,
        params: q,
        addFriendDefault: q.get("bot_prompt") === "aggressive" || q.get("bot_prompt") === "normal",
        alreadyFriend: currentUserId ? platform.state.isFriend(channel.channelId, currentUserId) : false,
      }),
    );
  });

  app.post("/oauth2/v2.1/authorize", async (c) => {
    const form = await formOf(c.req.raw);
    const channel = platform.state.channelByLoginId(form.get("client_id") ?? "");
    const redirectUri = form.get("redirect_uri") ?? "";
    const state = form.get("state") ?? "";
    if (!channel || !URL.canParse(redirectUri)) return c.html(badRequest("Invalid authorization request."), 400);
    const target = new URL(redirectUri);
    if (form.get("decision") !== "allow") {
      target.searchParams.set("error", "access_denied");
      target.searchParams.set("error_description", "The user has denied the consent");
      target.searchParams.set("state", state);
      return c.redirect(target.toString(), 302);
    }
    let userId = form.get("userId") ?? "";
    if (!platform.state.personas.has(userId)) {
      const name = (form.get("newName") ?? "").trim();
      if (!name) return c.html(badRequest("Pick a user or type a display name."), 400);
      userId = platform.createPersona({ displayName: name.slice(0, DISPLAY_NAME_MAX) }).userId;
    }
    rememberPersona(c, userId);
    let friendshipChanged = false;
    if (form.get("addFriend") === "1" && !platform.state.isFriend(channel.channelId, userId)) {
      await platform.follow(userId, channel.channelId);
      friendshipChanged = true;
    }
    const code = randomToken(15);
    codes.set(code, {
      loginChannelId: channel.loginChannelId,
      userId,
      redirectUri,
      scope: form.get("scope") ?? "profile openid",
      nonce: form.get("nonce") ?? undefined,
      codeChallenge: form.get("code_challenge") ?? undefined,
      expiresAt: platform.now() + CODE_TTL_MS,
      used: false,
    });
    target.searchParams.set("code", code);
    target.searchParams.set("state", state);
    if (form.get("bot_prompt")) target.searchParams.set("friendship_status_changed", String(friendshipChanged));
    return c.redirect(target.toString(), 302);
  });

  async function idToken(t: LoginToken, nonce: string | undefined) {
    const channel = platform.state.channelByLoginId(t.loginChannelId);
    const persona = platform.state.personas.get(t.userId);
    if (!channel || !persona) throw new Error("login channel or user vanished");
    const now = Math.floor(platform.now() / 1000);
    const picture = platform.pictureUrl(persona);
    return new SignJWT({ amr: ["linesso"], name: persona.displayName, ...(picture ? { picture } : {}), ...(nonce ? { nonce } : {}) })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(ID_TOKEN_ISSUER)
      .setSubject(persona.userId)
      .setAudience(channel.loginChannelId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(channel.loginChannelSecret));
  }

  function issueTokens(t: LoginToken) {
    const access = randomToken(32);
    const refresh = randomToken(24);
    accessTokens.set(access, t);
    refreshTokens.set(refresh, t);
    return { access, refresh };
  }

  app.post("/oauth2/v2.1/token", async (c) => {
    const form = await formOf(c.req.raw);
    const grant = form.get("grant_type");
    const fail = (error: string, description: string) => c.json({ error, error_description: description }, 400);
    if (grant === "client_credentials") return fail("invalid_request", "JWT-assertion channel tokens (v2.1) are not supported by the emulator");
    const channel = platform.state.channelByLoginId(form.get("client_id") ?? "");
    if (!channel || channel.loginChannelSecret !== form.get("client_secret")) return fail("invalid_client", "invalid client_id or client_secret");
    if (grant === "refresh_token") {
      const old = refreshTokens.get(form.get("refresh_token") ?? "");
      if (!old || old.loginChannelId !== channel.loginChannelId) return fail("invalid_grant", "invalid refresh token");
      refreshTokens.delete(form.get("refresh_token") ?? "");
      const t = { ...old, expiresAt: platform.now() + ACCESS_TOKEN_S * 1000 };
      const { access, refresh } = issueTokens(t);
      return c.json({ token_type: "Bearer", scope: t.scope, access_token: access, expires_in: ACCESS_TOKEN_S, refresh_token: refresh });
    }
    if (grant !== "authorization_code") return fail("unsupported_grant_type", "unsupported grant_type");
    const code = codes.get(form.get("code") ?? "");
    if (!code || code.used || code.expiresAt < platform.now() || code.loginChannelId !== channel.loginChannelId) {
      return fail("invalid_grant", "invalid authorization code");
    }
    code.used = true;
    if (code.redirectUri !== form.get("redirect_uri")) return fail("invalid_grant", "redirect_uri does not match");
    if (code.codeChallenge) {
      const verifier = form.get("code_verifier") ?? "";
      const computed = crypto.createHash("sha256").update(verifier).digest("base64url");
      if (computed !== code.codeChallenge) return fail("invalid_grant", "code_verifier does not match");
    }
    const t: LoginToken = { loginChannelId: code.loginChannelId, userId: code.userId, scope: code.scope, expiresAt: platform.now() + ACCESS_TOKEN_S * 1000 };
    const { access, refresh } = issueTokens(t);
    return c.json({
      access_token: access,
      expires_in: ACCESS_TOKEN_S,
      id_token: await idToken(t, code.nonce),
      refresh_token: refresh,
      scope: code.scope,
      token_type: "Bearer",
    });
  });

  app.post("/oauth2/v2.1/verify", async (c) => {
    const form = await formOf(c.req.raw);
    const channel = platform.state.channelByLoginId(form.get("client_id") ?? "");
    const fail = (description: string) => c.json({ error: "invalid_request", error_description: description }, 400);
    if (!channel) return fail("Invalid client_id.");
    try {
      const { payload } = await jwtVerify(form.get("id_token") ?? "", new TextEncoder().encode(channel.loginChannelSecret), {
        issuer: ID_TOKEN_ISSUER,
        audience: channel.loginChannelId,
        currentDate: new Date(platform.now()),
      });
      if (form.get("nonce") && payload.nonce !== form.get("nonce")) return fail("Invalid IdToken Nonce.");
      if (form.get("user_id") && payload.sub !== form.get("user_id")) return fail("Invalid IdToken Subject Identifier.");
      return c.json(payload);
    } catch (err) {
      return fail((err as { code?: string }).code === "ERR_JWT_EXPIRED" ? "IdToken expired." : "Invalid IdToken.");
    }
  });

  app.get("/oauth2/v2.1/verify", (c) => {
    const token = c.req.query("access_token") ?? "";
    const login = accessTokens.get(token);
    const issued = platform.issuedTokens.get(token);
    const expiresIn = (at: number) => Math.max(0, Math.floor((at - platform.now()) / 1000));
    if (login && login.expiresAt > platform.now()) return c.json({ scope: login.scope, client_id: login.loginChannelId, expires_in: expiresIn(login.expiresAt) });
    if (issued && issued.expiresAt > platform.now()) return c.json({ client_id: issued.channelId, expires_in: expiresIn(issued.expiresAt), scope: "" });
    return c.json({ error: "invalid_request", error_description: "access token expired" }, 400);
  });

  app.post("/oauth2/v2.1/revoke", async (c) => {
    const form = await formOf(c.req.raw);
    accessTokens.delete(form.get("access_token") ?? "");
    platform.issuedTokens.delete(form.get("access_token") ?? "");
    return c.body(null, 200);
  });

  function bearerLogin(header: string | undefined): LoginToken | undefined {
    const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : "";
    const t = accessTokens.get(token);
    return t && t.expiresAt > platform.now() ? t : undefined;
  }
  const invalidToken = { error: "invalid_token", error_description: "The access token expired or is invalid" };

  app.get("/v2/profile", (c) => {
    const t = bearerLogin(c.req.header("authorization"));
    const persona = t && platform.state.personas.get(t.userId);
    if (!persona) return c.json(invalidToken, 401);
    const pictureUrl = platform.pictureUrl(persona);
    return c.json({
      userId: persona.userId,
      displayName: persona.displayName,
      ...(pictureUrl ? { pictureUrl } : {}),
      ...(persona.statusMessage ? { statusMessage: persona.statusMessage } : {}),
    });
  });

  app.get("/friendship/v1/status", (c) => {
    const t = bearerLogin(c.req.header("authorization"));
    if (!t) return c.json(invalidToken, 401);
    const channel = platform.state.channelByLoginId(t.loginChannelId);
    return c.json({ friendFlag: Boolean(channel && platform.state.isFriend(channel.channelId, t.userId)) });
  });

  return app;
}
