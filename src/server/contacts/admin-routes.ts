import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  AdminContactListQuery,
  AuditListSchema,
  AuditQuery,
  ContactListSchema,
  ContactSchema,
  ContactSettingsBody,
  ContactSettingsSchema,
  OwnerBody,
  PermissionBody,
} from "../../shared/contacts.ts";
import { IdParam } from "../../shared/directory.ts";
import type { Auth } from "../directory/service.ts";
import type { AppEnv } from "../http/env.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, jsonBody, problemResponse } from "../http/openapi.ts";
import type { AuditRow } from "../audit/repository.ts";
import type { ContactsAdmin } from "./admin.ts";
import { serveContent } from "../files/content-policy.ts";
import { presentContact } from "./presenter.ts";

const auth = (c: Context<AppEnv>): Auth => c.get("auth")!;
const AUDIT_CSV_MAX_ROWS = 100_000;

const presentAudit = (r: AuditRow) => ({
  id: r.id,
  at: r.created_at.toISOString(),
  actor: r.actor_member_id ? { id: r.actor_member_id, displayName: r.actor_name ?? "" } : null,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  targetName: r.target_name,
  detail: r.detail,
});

/**
 * A CSV cell: quoted, and a leading = + - @ (or tab/CR) neutralised so a spreadsheet opening the
 * download never runs a formula from a user-controlled name.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/**
 * The detail as a spreadsheet reader needs it: members an owner change names by id appear by
 * name (the JSON API keeps the ids; the web app resolves them itself).
 */
function csvDetail(r: AuditRow): Record<string, unknown> {
  return {
    ...r.detail,
    ...(r.from_name !== null ? { from: r.from_name } : {}),
    ...(r.to_name !== null ? { to: r.to_name } : {}),
  };
}

export function contactAdminRoutes(admin: ContactsAdmin) {
  const app = createRouter();
  app.use("/admin/contacts", requireAuth);
  app.use("/admin/contacts/*", requireAuth);
  app.use("/admin/contact-settings", requireAuth);
  app.use("/admin/audit", requireAuth);
  app.use("/admin/audit.csv", requireAuth);

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/contacts",
      tags: ["admin"],
      summary: "Every contact of the company (filter all|line|no_visible_members|no_owner|trash)",
      request: { query: AdminContactListQuery },
      responses: { 200: json(ContactListSchema, "Contacts"), ...commonProblems },
    }),
    async (c) => {
      const page = await admin.list(auth(c), c.req.valid("query"));
      return c.json({ items: page.rows.map((r) => presentContact(r, "admin")), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/contacts/{id}",
      tags: ["admin"],
      summary: "One contact of the company, in the Trash too (the view is audited)",
      request: { params: IdParam },
      responses: { 200: json(ContactSchema, "Contact"), ...commonProblems },
    }),
    async (c) => c.json(presentContact(await admin.get(auth(c), c.req.valid("param").id), "admin"), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/contacts/{id}/photo",
      tags: ["admin"],
      summary: "Any contact's photo (the LINE photo for LINE contacts), Trash included, for the admin lists",
      request: { params: IdParam },
      responses: { 200: { description: "The image", content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } } }, ...commonProblems },
    }),
    async (c) => {
      const bytes = await admin.photo(auth(c), c.req.valid("param").id);
      return serveContent(c, bytes, { embed: "same-origin", cacheControl: "private, max-age=86400" });
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/contacts/{id}/owner",
      tags: ["admin"],
      summary: "Reassign a contact's owner (the previous owner keeps sight as a chosen member)",
      request: { params: IdParam, ...jsonBody(OwnerBody) },
      responses: { 200: json(ContactSchema, "Updated"), ...commonProblems },
    }),
    async (c) => c.json(presentContact(await admin.changeOwner(auth(c), c.req.valid("param").id, c.req.valid("json").ownerId), "admin"), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/contacts/{id}/permission",
      tags: ["admin"],
      summary: "Change a contact's privacy and co-editing (refused if a chatting member would lose sight)",
      request: { params: IdParam, ...jsonBody(PermissionBody) },
      responses: { 200: json(ContactSchema, "Updated"), ...commonProblems, 409: problemResponse("member_is_chatting") },
    }),
    async (c) => c.json(presentContact(await admin.setPermission(auth(c), c.req.valid("param").id, c.req.valid("json")), "admin"), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/contact-settings",
      tags: ["admin"],
      summary: "Default privacy of new contacts, Trash retention, quota and usage (Trash included)",
      responses: { 200: json(ContactSettingsSchema, "Settings"), ...commonProblems },
    }),
    async (c) => c.json(await admin.settings(auth(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/contact-settings",
      tags: ["admin"],
      summary: "Set the default privacy of new contacts and the Trash retention (days)",
      request: jsonBody(ContactSettingsBody),
      responses: { 200: json(ContactSettingsSchema, "Settings"), ...commonProblems },
    }),
    async (c) => c.json(await admin.setSettings(auth(c), c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/audit",
      tags: ["admin"],
      summary: "The audit log, newest first (kept 180 days)",
      request: { query: AuditQuery },
      responses: { 200: json(AuditListSchema, "Entries"), ...commonProblems },
    }),
    async (c) => {
      const page = await admin.audit(auth(c), c.req.valid("query"));
      return c.json({ items: page.rows.map(presentAudit), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/audit.csv",
      tags: ["admin"],
      summary: "The audit log as CSV (same filters)",
      request: { query: AuditQuery.omit({ cursor: true, limit: true }) },
      responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, ...commonProblems },
    }),
    async (c) => {
      const { rows } = await admin.audit(auth(c), { ...c.req.valid("query"), limit: AUDIT_CSV_MAX_ROWS });
      const header = ["time", "actor_id", "actor_name", "action", "target_type", "target_id", "target_name", "detail"];
      const lines = rows.map((r) =>
        [r.created_at.toISOString(), r.actor_member_id ?? "", r.actor_name ?? "", r.action, r.target_type, r.target_id ?? "", r.target_name ?? "", JSON.stringify(csvDetail(r))]
          .map(csvCell)
          .join(","),
      );
      // A BOM, so spreadsheet programs read Japanese and Korean names as UTF-8.
      return c.body(`\uFEFF${[header.join(","), ...lines].join("\r\n")}\r\n`, 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="audit-log.csv"',
      });
    },
  );

  return app;
}
