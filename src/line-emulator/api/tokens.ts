import { Hono } from "hono";
import { randomToken } from "../ids.ts";
import type { LinePlatform } from "../platform.ts";

const SHORT_LIVED_S = 30 * 24 * 3600;
const STATELESS_S = 15 * 60;

export async function formOf(req: Request): Promise<URLSearchParams> {
  return new URLSearchParams(await req.text());
}

/** Channel access token endpoints (channel-access-token.yml); issued tokens are accepted by the Messaging API. */
export function tokenRoutes(platform: LinePlatform) {
  const app = new Hono();

  function authenticate(form: URLSearchParams) {
    if (form.get("grant_type") !== "client_credentials") return { error: "unsupported_grant_type" as const };
    const channel = platform.state.channels.get(form.get("client_id") ?? "");
    if (!channel || channel.channelSecret !== form.get("client_secret")) return { error: "invalid_client" as const };
    return { channel };
  }

  function issue(channelId: string, lifetimeS: number) {
    const token = randomToken(32);
    platform.issuedTokens.set(token, { channelId, expiresAt: platform.now() + lifetimeS * 1000 });
    return token;
  }

  app.post("/v2/oauth/accessToken", async (c) => {
    const auth = authenticate(await formOf(c.req.raw));
    if (!auth.channel) return c.json({ error: auth.error, error_description: "invalid client_id or client_secret" }, 400);
    return c.json({ access_token: issue(auth.channel.channelId, SHORT_LIVED_S), expires_in: SHORT_LIVED_S, token_type: "Bearer" });
  });

  app.post("/oauth2/v3/token", async (c) => {
    const form = await formOf(c.req.raw);
    if (form.has("client_assertion")) {
      return c.json({ error: "invalid_request", error_description: "JWT assertions are not supported by the emulator; use client_id and client_secret" }, 400);
    }
    const auth = authenticate(form);
    if (!auth.channel) return c.json({ error: auth.error, error_description: "invalid client_id or client_secret" }, 400);
    return c.json({ token_type: "Bearer", access_token: issue(auth.channel.channelId, STATELESS_S), expires_in: STATELESS_S });
  });

  app.post("/v2/oauth/verify", async (c) => {
    const token = (await formOf(c.req.raw)).get("access_token") ?? "";
    const issued = platform.issuedTokens.get(token);
    if (!issued || issued.expiresAt < platform.now()) return c.json({ error: "invalid_request", error_description: "access token expired" }, 400);
    return c.json({ client_id: issued.channelId, expires_in: Math.floor((issued.expiresAt - platform.now()) / 1000), scope: "" });
  });

  app.post("/v2/oauth/revoke", async (c) => {
    platform.issuedTokens.delete((await formOf(c.req.raw)).get("access_token") ?? "");
    return c.body(null, 200);
  });

  return app;
}
