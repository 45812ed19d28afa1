import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "../http/body-limit.ts";
import {
  AddLineContactResult,
  contactLabel,
  BulkResultSchema,
  ContactFieldsSchema,
  ContactListQuery,
  ContactListSchema,
  ContactSchema,
  CreateContactBody,
  ExportBody,
  ExportQuery,
  IdsBody,
  PermissionBody,
} from "../../shared/contacts.ts";
import { RoomContactSchema } from "../../shared/rooms.ts";
import { IdParam } from "../../shared/directory.ts";
import type { Auth } from "../directory/service.ts";
import { contentDisposition, serveContent } from "../files/content-policy.ts";
import type { AppEnv } from "../http/env.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, jsonBody, problemResponse } from "../http/openapi.ts";
import { Problem } from "../http/problem.ts";
import { CONTACT_PHOTO_MAX_BYTES } from "./photos.ts";
import { parseIfMatch, presentContact, versionEtag } from "./presenter.ts";
import type { ContactRow } from "./repository.ts";
import type { ContactsService } from "./service.ts";
import { toVcard, toVcards } from "./vcard.ts";

const auth = (c: Context<AppEnv>): Auth => c.get("auth")!;
const binary = (description: string, type = "image/*") => ({ description, content: { [type]: { schema: z.string().openapi({ format: "binary" }) } } });
const withEtag = (version: number) => ({ ETag: versionEtag(version) });
const tooLarge = (what: string, max: number) =>
  bodyLimit({
    maxSize: max,
    onError: () => {
      throw new Problem(413, "payload_too_large", `${what} too large`, `${what} must be smaller than ${Math.round(max / 1024 / 1024)} MB.`);
    },
  });

const vcardDownload = (c: Context<AppEnv>, rows: Parameters<typeof toVcards>[0]) =>
  c.body(toVcards(rows), 200, {
    "Content-Type": "text/vcard; charset=utf-8",
    "Content-Disposition": contentDisposition("attachment", rows.length === 1 ? vcardFileName(rows[0]!) : "contacts.vcf"),
  });

const FILE_NAME_UNSAFE = '/\\:*?"<>|';

/**
 * One contact downloads under its name ("박서준.vcf"), as address books name their exports:
 * characters file systems refuse become "_", and contentDisposition adds RFC 5987's filename*.
 */
export function vcardFileName(r: ContactRow): string {
  const label = contactLabel({ lastName: r.last_name, firstName: r.first_name, nickName: r.nick_name, emails: r.emails, telephones: r.telephones });
  // By code point: a cut surrogate pair could not be percent-encoded for filename*.
  const safe = Array.from(label.replace(/^[\s.]+|[\s.]+$/g, ""), (ch) => (ch.codePointAt(0)! < 0x20 || ch === "\u007f" || FILE_NAME_UNSAFE.includes(ch) ? "_" : ch))
    .slice(0, 100)
    .join("");
  return `${safe || "contact"}.vcf`;
}

/** External contacts for members, mounted under /api/v1 behind the session middleware. */
export function contactRoutes(contacts: ContactsService, refreshLineProfile: (lineUserId: string) => Promise<void>) {
  const app = createRouter();
  app.use("/contacts", requireAuth);
  app.use("/contacts/*", requireAuth);
  app.use("/rooms/:id/contact", requireAuth);
  app.use("/contacts/:id/photo", tooLarge("A photo", CONTACT_PHOTO_MAX_BYTES));

  app.openapi(
    createRoute({
      method: "get",
      path: "/contacts",
      tags: ["contacts"],
      summary: "Contacts visible to me (tab all|line; search name, reading, nickname, company, phone, e-mail; tag; keyset cursor)",
      request: { query: ContactListQuery },
      responses: { 200: json(ContactListSchema, "Contacts"), ...commonProblems },
    }),
    async (c) => {
      const page = await contacts.list(auth(c), c.req.valid("query"));
      return c.json({ items: page.rows.map((r) => presentContact(r)), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/contacts",
      tags: ["contacts"],
      summary: "Add a contact by hand (needs an e-mail or a phone)",
      request: jsonBody(CreateContactBody),
      responses: { 201: json(ContactSchema, "Created"), ...commonProblems, 409: problemResponse("Contact quota reached") },
    }),
    async (c) => {
      const row = await contacts.create(auth(c), c.req.valid("json"));
      return c.json(presentContact(row), 201, withEtag(row.version));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/contacts/trash",
      tags: ["contacts"],
      summary: "My Trash: deleted contacts I owned or co-edited",
      request: { query: ContactListQuery.omit({ tab: true }) },
      responses: { 200: json(ContactListSchema, "Contacts in the Trash"), ...commonProblems },
    }),
    async (c) => {
      const page = await contacts.list(auth(c), { ...c.req.valid("query"), tab: "all" }, true);
      return c.json({ items: page.rows.map((r) => presentContact(r)), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/contacts/bulk-delete",
      tags: ["contacts"],
      summary: "Move several contacts to the Trash; each gets its own result",
      request: jsonBody(IdsBody),
      responses: { 200: json(BulkResultSchema, "Per-contact results"), ...commonProblems },
    }),
    async (c) => c.json({ results: await contacts.bulkDelete(auth(c), c.req.valid("json").ids) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/contacts/export",
      tags: ["contacts"],
      summary: "vCard 4.0 download (a plain link works): the contacts in `ids`, or every contact I see",
      request: { query: ExportQuery },
      responses: { 200: binary("vCards", "text/vcard"), ...commonProblems },
    }),
    async (c) => {
      const ids = c.req.valid("query").ids?.split(",");
      return vcardDownload(c, await contacts.exportRows(auth(c), ids));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/contacts/export",
      tags: ["contacts"],
      summary: "vCard 4.0 of the given contacts, or of every contact I see",
      request: jsonBody(ExportBody),
      responses: { 200: binary("vCards", "text/vcard"), ...commonProblems },
    }),
    async (c) => {
      return vcardDownload(c, await contacts.exportRows(auth(c), c.req.valid("json").ids));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/contacts/{id}",
      tags: ["contacts"],
      summary: "One contact (the ETag is its version, for If-Match)",
      request: { params: IdParam },
      responses: { 200: json(ContactSchema, "Contact"), ...commonProblems },
    }),
    async (c) => {
      const row = await contacts.get(auth(c), c.req.valid("param").id);
      if (row.line_user_id) await refreshLineProfile(row.line_user_id);
      return c.json(presentContact(row), 200, withEtag(row.version));
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/contacts/{id}",
      tags: ["contacts"],
      summary: 'Edit a contact; needs If-Match: "<version>" (nickname and photo of a LINE contact are locked)',
      request: { params: IdParam, headers: z.object({ "if-match": z.string().optional() }), ...jsonBody(ContactFieldsSchema) },
      responses: {
        200: json(ContactSchema, "Updated"),
        ...commonProblems,
        412: problemResponse("Stale version (version_conflict)"),
        422: problemResponse("A locked field (field_locked)"),
        428: problemResponse("If-Match missing"),
      },
    }),
    async (c) => {
      const row = await contacts.update(auth(c), c.req.valid("param").id, parseIfMatch(c.req.header("if-match")), c.req.valid("json"));
      return c.json(presentContact(row), 200, withEtag(row.version));
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/contacts/{id}",
      tags: ["contacts"],
      summary: "Move a contact to the Trash (refused while its LINE user chats with another member)",
      request: { params: IdParam },
      responses: { 204: { description: "In the Trash" }, ...commonProblems, 409: problemResponse("line_user_in_conversation") },
    }),
    async (c) => {
      await contacts.delete(auth(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/contacts/{id}/permission",
      tags: ["contacts"],
      summary: "Who sees the contact (owner only): ALL or MEMBER (members and teams), and co-editing",
      request: { params: IdParam, ...jsonBody(PermissionBody) },
      responses: { 200: json(ContactSchema, "Updated"), ...commonProblems, 409: problemResponse("member_is_chatting") },
    }),
    async (c) => {
      const row = await contacts.setPermission(auth(c), c.req.valid("param").id, c.req.valid("json"));
      return c.json(presentContact(row), 200, withEtag(row.version));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/contacts/{id}/restore",
      tags: ["contacts"],
      summary: "Restore from my Trash, exactly as it was (sharing included)",
      request: { params: IdParam },
      responses: { 200: json(ContactSchema, "Restored"), ...commonProblems },
    }),
    async (c) => {
      const row = await contacts.restore(auth(c), c.req.valid("param").id);
      return c.json(presentContact(row), 200, withEtag(row.version));
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/contacts/{id}/permanent",
      tags: ["contacts"],
      summary: "Delete a contact from my Trash for good",
      request: { params: IdParam },
      responses: { 204: { description: "Gone" }, ...commonProblems },
    }),
    async (c) => {
      await contacts.permanentDelete(auth(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/contacts/{id}/vcard",
      tags: ["contacts"],
      summary: "The contact as a vCard 4.0",
      request: { params: IdParam },
      responses: { 200: binary("vCard", "text/vcard"), ...commonProblems },
    }),
    async (c) => {
      const [row] = await contacts.exportRows(auth(c), [c.req.valid("param").id]);
      return c.body(`${toVcard(row!)}\r\n`, 200, {
        "Content-Type": "text/vcard; charset=utf-8",
        "Content-Disposition": contentDisposition("attachment", vcardFileName(row!)),
      });
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/contacts/{id}/photo",
      tags: ["contacts"],
      summary: "Upload the photo of a contact added by hand (JPG, PNG or GIF, < 10 MB)",
      request: { params: IdParam, body: { required: true, content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } } } },
      responses: { 200: json(ContactSchema, "Updated"), ...commonProblems, 413: problemResponse("Too large"), 415: problemResponse("Not an image"), 422: problemResponse("LINE contact: field_locked") },
    }),
    async (c) => {
      const row = await contacts.setPhoto(auth(c), c.req.valid("param").id, new Uint8Array(await c.req.arrayBuffer()));
      return c.json(presentContact(row), 200, withEtag(row.version));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/contacts/{id}/photo",
      tags: ["contacts"],
      summary: "The contact's photo (our copy; a LINE contact's follows the LINE profile)",
      request: { params: IdParam },
      responses: { 200: binary("The image"), ...commonProblems },
    }),
    async (c) => {
      const bytes = await contacts.photo(auth(c), c.req.valid("param").id);
      return serveContent(c, bytes, { embed: "same-origin", cacheControl: "private, max-age=86400" });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{id}/contact",
      tags: ["contacts"],
      summary: "The room's LINE user as my contact: the one I see (what Add LINE Contact would open), or null",
      request: { params: IdParam },
      responses: { 200: json(RoomContactSchema, "The link (nulls when there is none)"), ...commonProblems },
    }),
    async (c) => c.json(await contacts.ofRoom(auth(c), c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/rooms/{id}/contact",
      tags: ["contacts"],
      summary: "Add LINE Contact: save the room's LINE user in External Contacts (or open the one I already see)",
      request: { params: IdParam },
      responses: {
        200: json(AddLineContactResult, "Already a contact I see (created: false)"),
        201: json(AddLineContactResult, "Created"),
        ...commonProblems,
        409: problemResponse("contact_in_trash (with contactId) or contact_quota_exceeded"),
      },
    }),
    async (c) => {
      const { created, row } = await contacts.addFromRoom(auth(c), c.req.valid("param").id);
      return c.json({ created, contact: presentContact(row) }, created ? 201 : 200, withEtag(row.version));
    },
  );

  return app;
}
