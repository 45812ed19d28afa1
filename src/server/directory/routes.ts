import { createRoute, z } from "@hono/zod-openapi";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { bodyLimit } from "../http/body-limit.ts";
import {
  CreateMemberBody,
  CreateTeamBody,
  IdParam,
  LineAccessSchema,
  LineAccountSettingsSchema,
  LinePolicySchema,
  MeSchema,
  MemberLineAccessBody,
  MemberListSchema,
  MemberSchema,
  PlanBody,
  SignInBody,
  TeamListSchema,
  TeamSchema,
  TenantSchema,
  UpdateMemberBody,
} from "../../shared/directory.ts";
import { serveContent } from "../files/content-policy.ts";
import type { AppEnv } from "../http/env.ts";
import { SESSION_COOKIE, requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, jsonBody, problemResponse } from "../http/openapi.ts";
import { Problem } from "../http/problem.ts";
import { assertLineAccess } from "./gate.ts";
import { presentMember, presentTeam, presentTenant } from "./presenter.ts";
import { PHOTO_MAX_BYTES, type Auth, type DirectoryService } from "./service.ts";
import { clientAddress } from "./signin-throttle.ts";
import type { Context } from "hono";

const auth = (c: Context<AppEnv>): Auth => c.get("auth")!;

export function directoryRoutes(directory: DirectoryService, opts: { secureCookies: boolean; sessionTtlMs: number }) {
  const app = createRouter();
  const presentMe = (a: Auth) => {
    const me = directory.me(a);
    return { ...me, member: presentMember(me.member), tenant: presentTenant(me.tenant) };
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/session",
      tags: ["session"],
      summary: "Sign in with e-mail or ID and password; sets the session cookie",
      request: jsonBody(SignInBody),
      responses: {
        200: json(MeSchema, "Signed in"),
        400: commonProblems[400],
        401: problemResponse("Wrong e-mail/ID or password"),
        429: problemResponse("Locked after too many failures"),
      },
    }),
    async (c) => {
      const { login, password } = c.req.valid("json");
      const result = await directory.signIn(login, password, clientAddress(c));
      setCookie(c, SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: "Lax",
        secure: opts.secureCookies,
        path: "/",
        maxAge: Math.floor(opts.sessionTtlMs / 1000),
      });
      const a = (await directory.authenticate(result.token))!;
      return c.json(presentMe(a), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/session",
      tags: ["session"],
      summary: "Sign out",
      responses: { 204: { description: "Signed out" }, 403: commonProblems[403] },
    }),
    async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) await directory.signOut(token);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    },
  );

  app.use("/me", requireAuth);
  app.use("/members", requireAuth);
  app.use("/members/*", requireAuth);
  app.use("/teams", requireAuth);
  app.use("/admin/*", requireAuth);
  app.use("/line/access", requireAuth);

  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["session"],
      summary: "The signed-in member, their company, LINE access and CSRF token",
      responses: { 200: json(MeSchema, "Current member"), 401: commonProblems[401] },
    }),
    (c) => c.json(presentMe(auth(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/line/access",
      tags: ["line"],
      summary: "Whether the signed-in member may use Chat with LINE users (403 problem says why not)",
      responses: { 200: json(LineAccessSchema, "Allowed"), 401: commonProblems[401], 403: commonProblems[403] },
    }),
    (c) => {
      const a = auth(c);
      assertLineAccess(a.tenant, a.member);
      return c.json({ allowed: true }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/members",
      tags: ["directory"],
      summary: "Members of your company",
      responses: { 200: json(MemberListSchema, "Members"), 401: commonProblems[401] },
    }),
    async (c) => c.json({ items: (await directory.listMembers(auth(c))).map(presentMember) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/members",
      tags: ["directory"],
      summary: "Add a member (administrators)",
      request: jsonBody(CreateMemberBody),
      responses: { 201: json(MemberSchema, "Created"), ...commonProblems, 409: problemResponse("ID or e-mail taken") },
    }),
    async (c) => c.json(presentMember(await directory.createMember(auth(c), c.req.valid("json"))), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/members/{id}",
      tags: ["directory"],
      summary: "One member of your company",
      request: { params: IdParam },
      responses: { 200: json(MemberSchema, "Member"), ...commonProblems },
    }),
    async (c) => c.json(presentMember(await directory.getMember(auth(c), c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/members/{id}",
      tags: ["directory"],
      summary: "Edit a member (yourself: name, phone, department; administrators: everything)",
      request: { params: IdParam, ...jsonBody(UpdateMemberBody) },
      responses: { 200: json(MemberSchema, "Updated"), ...commonProblems, 409: problemResponse("ID or e-mail taken") },
    }),
    async (c) => c.json(presentMember(await directory.updateMember(auth(c), c.req.valid("param").id, c.req.valid("json"))), 200),
  );

  app.use(
    "/members/:id/photo",
    bodyLimit({
      maxSize: PHOTO_MAX_BYTES,
      onError: () => {
        throw new Problem(413, "payload_too_large", "Photo too large", "A photo must be smaller than 10 MB.");
      },
    }),
  );
  app.openapi(
    createRoute({
      method: "put",
      path: "/members/{id}/photo",
      tags: ["directory"],
      summary: "Upload a member photo (JPG, PNG or GIF, < 10 MB)",
      request: {
        params: IdParam,
        body: { required: true, content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } } },
      },
      responses: {
        200: json(MemberSchema, "Updated"),
        ...commonProblems,
        413: problemResponse("Too large"),
        415: problemResponse("Not an image"),
      },
    }),
    async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      return c.json(presentMember(await directory.setPhoto(auth(c), c.req.valid("param").id, bytes)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/members/{id}/photo",
      tags: ["directory"],
      summary: "A member's photo",
      request: { params: IdParam },
      responses: { 200: { description: "The image", content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } } }, ...commonProblems },
    }),
    async (c) => {
      const bytes = await directory.photo(auth(c), c.req.valid("param").id);
      return serveContent(c, bytes, { embed: "same-origin", cacheControl: "private, max-age=86400" });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/teams",
      tags: ["directory"],
      summary: "Teams of your company",
      responses: { 200: json(TeamListSchema, "Teams"), 401: commonProblems[401] },
    }),
    async (c) => c.json({ items: (await directory.listTeams(auth(c))).map(presentTeam) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/teams",
      tags: ["directory"],
      summary: "Create a team (administrators)",
      request: jsonBody(CreateTeamBody),
      responses: { 201: json(TeamSchema, "Created"), ...commonProblems, 409: problemResponse("Name taken") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(presentTeam(await directory.createTeam(auth(c), body.name, body.memberIds)), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/plan",
      tags: ["admin"],
      summary: "Set the company's plan",
      request: jsonBody(PlanBody),
      responses: { 200: json(TenantSchema, "Updated"), ...commonProblems },
    }),
    async (c) => c.json(presentTenant(await directory.setPlan(auth(c), c.req.valid("json").plan)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/line-policy",
      tags: ["admin"],
      summary: 'Set "Chat with LINE users": allow or not, grant to all or by member, new members, files',
      request: jsonBody(LinePolicySchema),
      responses: { 200: json(TenantSchema, "Updated"), ...commonProblems, 422: problemResponse("LINE refuses the company name") },
    }),
    async (c) => c.json(presentTenant(await directory.setLinePolicy(auth(c), c.req.valid("json"))), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/line-account",
      tags: ["admin", "line"],
      summary: "How the company's LINE account behaves: its language, read receipts, typing animation (audited)",
      request: jsonBody(LineAccountSettingsSchema),
      responses: { 200: json(TenantSchema, "Updated"), ...commonProblems },
    }),
    async (c) => c.json(presentTenant(await directory.setLineAccountSettings(auth(c), c.req.valid("json"))), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/members/{id}/line-access",
      tags: ["admin"],
      summary: "Grant or revoke one member's LINE access (used when granting by member)",
      request: { params: IdParam, ...jsonBody(MemberLineAccessBody) },
      responses: { 200: json(MemberSchema, "Updated"), ...commonProblems, 422: problemResponse("LINE refuses the member's name") },
    }),
    async (c) =>
      c.json(presentMember(await directory.setMemberLineAccess(auth(c), c.req.valid("param").id, c.req.valid("json").allowed)), 200),
  );

  return app;
}
