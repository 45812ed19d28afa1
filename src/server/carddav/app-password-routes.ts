import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppPasswordListSchema, CreateAppPasswordBody, CreatedAppPasswordSchema, type AppPassword } from "../../shared/carddav.ts";
import { IdParam } from "../../shared/directory.ts";
import type { Auth } from "../directory/service.ts";
import type { AppEnv } from "../http/env.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, jsonBody, problemResponse } from "../http/openapi.ts";
import type { AppPasswords } from "./app-passwords.ts";
import type { AppPasswordRow } from "./repository.ts";

const auth = (c: Context<AppEnv>): Auth => c.get("auth")!;

const presentAppPassword = (r: AppPasswordRow): AppPassword => ({
  id: r.id,
  label: r.label,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

/** A member's app passwords for CardDAV, under /api/v1 behind the session (and CSRF) middleware. */
export function appPasswordRoutes(appPasswords: AppPasswords, opts: { davUrl: () => string }) {
  const app = createRouter();
  app.use("/me/app-passwords", requireAuth);
  app.use("/me/app-passwords/*", requireAuth);

  app.openapi(
    createRoute({
      method: "get",
      path: "/me/app-passwords",
      tags: ["carddav"],
      summary: "My CardDAV set-up: server URL, user name and app passwords (never their secrets)",
      responses: { 200: json(AppPasswordListSchema, "CardDAV set-up"), 401: commonProblems[401] },
    }),
    async (c) => {
      const a = auth(c);
      const rows = await appPasswords.list(a);
      return c.json({ serverUrl: opts.davUrl(), username: a.member.email, items: rows.map(presentAppPassword) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/me/app-passwords",
      tags: ["carddav"],
      summary: "Make an app password for a CardDAV client; its secret is in this answer only",
      request: jsonBody(CreateAppPasswordBody),
      responses: {
        201: json(CreatedAppPasswordSchema, "Created; `secret` is shown this once"),
        ...commonProblems,
        409: problemResponse("Too many app passwords (app_password_limit)"),
      },
    }),
    async (c) => {
      const { row, secret } = await appPasswords.create(auth(c), c.req.valid("json").label);
      // The secret must not linger in any cache between here and the member's screen.
      c.header("Cache-Control", "no-store");
      return c.json({ appPassword: presentAppPassword(row), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/me/app-passwords/{id}",
      tags: ["carddav"],
      summary: "Revoke an app password: clients using it get 401 from the next request on",
      request: { params: IdParam },
      responses: { 204: { description: "Revoked" }, ...commonProblems },
    }),
    async (c) => {
      await appPasswords.revoke(auth(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  return app;
}
