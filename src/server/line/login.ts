import crypto from "node:crypto";
import { Hono } from "hono";
import type { Logger } from "pino";
import type { Database } from "../db/database.ts";
import type { AppEnv } from "../http/env.ts";
import { htmlPolicy } from "../http/security-headers.ts";
import type { ChannelService } from "./channels.ts";
import type { LineEndpoints } from "./client.ts";
import { lineRepository as repo, type ChannelRow } from "./repository.ts";

/** LINE Login's ID tokens name this issuer whatever host served the token endpoint. */
export const LINE_ID_TOKEN_ISSUER = "https://access.line.me";
const STATE_TTL_MS = 10 * 60_000;
const TOKEN_TIMEOUT_MS = 10_000;

export interface LoginResult {
  lineUserId: string;
  displayName: string | null;
  pictureUrl: string | null;
  purpose: Record<string, unknown>;
  channel: ChannelRow;
}

/** Decides where a finished LINE Login goes (the invitations feature registers the real one). */
export type LoginCompletion = (result: LoginResult) => Promise<{ redirect: string }>;

export class LoginError extends Error {
  constructor(
    readonly status: 400 | 502,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** A small self-contained page: LINE Login ends in a browser, so failures are shown as pages, not JSON. */
const LOGIN_PAGE_STYLE = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}h1{font-size:1.3rem}";
/** The callback page's CSP: its one inline style by hash, nothing else inline. */
const LOGIN_PAGE_POLICY = htmlPolicy({ inlineStyles: [LOGIN_PAGE_STYLE] });

export function loginPage(title: string, message: string) {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${LOGIN_PAGE_STYLE}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
}

/** Verifies a LINE Login ID token: HS256 with the login channel secret, LINE's issuer, our channel as audience, our nonce, not expired. */
export async function verifyIdToken(
  idToken: string,
  expect: { secret: string; loginChannelId: string; nonce: string; now: Date },
): Promise<Record<string, unknown> & { sub: string }> {
  // jose (≈ 10 MB resident) loads with the first LINE Login rather than at every start.
  const { jwtVerify } = await import("jose");
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(idToken, new TextEncoder().encode(expect.secret), {
      issuer: LINE_ID_TOKEN_ISSUER,
      audience: expect.loginChannelId,
      algorithms: ["HS256"],
      currentDate: expect.now,
    }));
  } catch (err) {
    throw new LoginError(400, "LINE's ID token was not valid", (err as Error).message);
  }
  if (claims.nonce !== expect.nonce) throw new LoginError(400, "LINE's ID token was not valid", "The nonce does not match this sign-in.");
  if (typeof claims.sub !== "string") throw new LoginError(400, "LINE's ID token was not valid", "The token names no user.");
  return claims as Record<string, unknown> & { sub: string };
}

export function createLineLogin(deps: {
  db: Database;
  channels: ChannelService;
  endpoints: LineEndpoints;
  clock: () => Date;
  log: Logger;
  /** The callback URL registered in the LINE Login channel: `<public base>/line/login/callback`. */
  redirectUri: () => string;
}) {
  const { db, channels, endpoints, clock } = deps;
  let completion: LoginCompletion | undefined;

  /** Starts LINE Login v2.1 (code flow + PKCE S256, bot_prompt=aggressive); `purpose` comes back on completion. */
  async function beginLogin(channel: ChannelRow, purpose: Record<string, unknown>) {
    if (!channel.login_channel_id) throw new LoginError(400, "LINE Login is not set up", "This LINE channel has no linked LINE Login channel.");
    const state = crypto.randomBytes(24).toString("base64url");
    const nonce = crypto.randomBytes(24).toString("base64url");
    const codeVerifier = crypto.randomBytes(48).toString("base64url");
    const now = clock();
    await repo.purgeLoginStates(db, now);
    await repo.insertLoginState(db, {
      state,
      channel_id: channel.id,
      nonce,
      code_verifier: codeVerifier,
      purpose,
      expires_at: new Date(now.getTime() + STATE_TTL_MS),
    });
    const url = new URL("/oauth2/v2.1/authorize", endpoints.authorizeBaseUrl);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: channel.login_channel_id,
      redirect_uri: deps.redirectUri(),
      state,
      scope: "profile openid",
      nonce,
      code_challenge: crypto.createHash("sha256").update(codeVerifier).digest("base64url"),
      code_challenge_method: "S256",
      bot_prompt: "aggressive",
    }).toString();
    return { url: url.toString(), state };
  }

  /** Checks the state, swaps the code for tokens, verifies the ID token; returns who signed in. */
  async function completeLogin(params: { code?: string; state?: string; error?: string; errorDescription?: string }): Promise<LoginResult> {
    if (params.error)
      throw new LoginError(400, "LINE Login did not finish", params.errorDescription ?? `LINE answered: ${params.error}. You can try the link again.`);
    if (!params.code || !params.state) throw new LoginError(400, "Incomplete LINE Login", "The sign-in response is missing its code or state.");
    const saved = await repo.takeLoginState(db, params.state);
    if (!saved || saved.expires_at < clock())
      throw new LoginError(400, "This sign-in link has expired", "Open the invitation again to start a new LINE sign-in.");
    const channel = (await repo.channel(db, saved.channel_id))!;
    const secret = channels.loginSecret(channel);
    if (!channel.login_channel_id || !secret) throw new LoginError(400, "LINE Login is not set up", "This LINE channel has no LINE Login channel.");

    const res = await fetch(new URL("/oauth2/v2.1/token", endpoints.loginBaseUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: params.code,
        redirect_uri: deps.redirectUri(),
        client_id: channel.login_channel_id,
        client_secret: secret,
        code_verifier: saved.code_verifier,
      }),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    }).catch((err: Error) => {
      throw new LoginError(502, "LINE could not be reached", err.message);
    });
    const token = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string; error_description?: string };
    if (!res.ok || !token.id_token)
      throw new LoginError(res.status >= 500 ? 502 : 400, "LINE refused the sign-in", token.error_description ?? token.error ?? `HTTP ${res.status}`);

    const claims = await verifyIdToken(token.id_token, {
      secret,
      loginChannelId: channel.login_channel_id,
      nonce: saved.nonce,
      now: clock(),
    });
    return {
      lineUserId: claims.sub,
      displayName: typeof claims.name === "string" ? claims.name : null,
      pictureUrl: typeof claims.picture === "string" ? claims.picture : null,
      purpose: saved.purpose,
      channel,
    };
  }

  function routes() {
    const app = new Hono<AppEnv>();
    app.get("/login/callback", async (c) => {
      c.header("Content-Security-Policy", LOGIN_PAGE_POLICY);
      // The URL carries LINE's one-time code: no page it leads to may see it.
      c.header("Referrer-Policy", "no-referrer");
      try {
        const result = await completeLogin({
          code: c.req.query("code"),
          state: c.req.query("state"),
          error: c.req.query("error"),
          errorDescription: c.req.query("error_description"),
        });
        if (completion) return c.redirect((await completion(result)).redirect, 302);
        return c.html(loginPage("Signed in with LINE", `You signed in as ${result.displayName ?? result.lineUserId}.`), 200);
      } catch (err) {
        if (err instanceof LoginError) {
          c.get("log").info({ reason: err.message }, "LINE Login failed");
          return c.html(loginPage(err.title, err.message), err.status);
        }
        throw err;
      }
    });
    return app;
  }

  return {
    beginLogin,
    completeLogin,
    routes,
    /** Registers where a finished login goes; the last registration wins. */
    setCompletion(fn: LoginCompletion | undefined) {
      completion = fn;
    },
  };
}

export type LineLogin = ReturnType<typeof createLineLogin>;
