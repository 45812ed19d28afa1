import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "../http/body-limit.ts";
import { ContactImportSchema } from "../../shared/contacts.ts";
import { IdParam } from "../../shared/directory.ts";
import { textProblem } from "../../shared/text.ts";
import type { Auth } from "../directory/service.ts";
import type { AppEnv } from "../http/env.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, problemResponse } from "../http/openapi.ts";
import { Problem, problems } from "../http/problem.ts";
import type { ContactImports } from "./imports.ts";

const IMPORT_MAX_BYTES = 5 * 1024 * 1024;
const auth = (c: Context<AppEnv>): Auth => c.get("auth")!;

/** vCard import in the background: start it, then follow it (mounted under /api/v1). */
export function contactImportRoutes(imports: ContactImports) {
  const app = createRouter();
  app.use("/contacts/import", requireAuth);
  app.use("/contacts/imports/*", requireAuth);
  app.use(
    "/contacts/import",
    bodyLimit({
      maxSize: IMPORT_MAX_BYTES,
      onError: () => {
        throw new Problem(413, "payload_too_large", "An import too large", `An import must be smaller than ${IMPORT_MAX_BYTES / 1024 / 1024} MB.`);
      },
    }),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/contacts/import",
      tags: ["contacts"],
      summary: "Import vCards (text/vcard) as contacts I own, in the background: 202 with the import to follow",
      request: { body: { required: true, content: { "text/vcard": { schema: z.string() } } } },
      responses: {
        202: json(ContactImportSchema, "Queued; follow it at Location (and the contact_import.progress event)"),
        ...commonProblems,
        413: problemResponse("Too large"),
        415: problemResponse("Not text/vcard"),
        503: problemResponse("Too much work queued (server_busy); retry after Retry-After"),
      },
    }),
    async (c) => {
      const type = c.req.header("content-type") ?? "";
      if (!/^text\/(x-)?vcard\b/i.test(type)) throw new Problem(415, "unsupported_media_type", "Send text/vcard", "The body must be vCards with Content-Type: text/vcard.");
      const text = await c.req.text();
      // The file is kept while the import runs: what PostgreSQL cannot store is refused now, not as a 500.
      const bad = textProblem(text);
      if (bad) throw problems.validation([{ path: "(body)", message: bad, code: "invalid_text" }]);
      const started = await imports.start(auth(c), text);
      return c.json(started, 202, { Location: `/api/v1/contacts/imports/${started.importId}` });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/contacts/imports/{id}",
      tags: ["contacts"],
      summary: "One of my vCard imports: progress (done of total) and the skipped cards with their reasons",
      request: { params: IdParam },
      responses: { 200: json(ContactImportSchema, "The import"), ...commonProblems },
    }),
    async (c) => c.json(await imports.get(auth(c), c.req.valid("param").id), 200),
  );

  return app;
}
