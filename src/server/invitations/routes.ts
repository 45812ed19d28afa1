import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { InvitationQuery, InvitationSchema, SendInvitationEmailBody, SendInvitationEmailResult } from "../../shared/invitations.ts";
import type { Auth } from "../directory/service.ts";
import type { AppEnv } from "../http/env.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, jsonBody, problemResponse } from "../http/openapi.ts";
import type { InvitationService } from "./service.ts";

const auth = (c: Context<AppEnv>): Auth => c.get("auth")!;
const presentInvitation = (inv: Awaited<ReturnType<InvitationService["invitation"]>>) => ({
  ...inv,
  createdAt: inv.createdAt.toISOString(),
  qrUrl: "/api/v1/invitations/me/qr.png",
  cardUrl: "/api/v1/invitations/me/card.png",
});
const png = (description: string) => ({ description, content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } } });

/** The member's own invitation: link, Message ID, copy text, QR, card, e-mail, reset. All behind the LINE gate. */
export function invitationRoutes(invitations: InvitationService) {
  const app = createRouter();
  app.use("/invitations/*", requireAuth);

  app.openapi(
    createRoute({
      method: "get",
      path: "/invitations/me",
      tags: ["invitations"],
      summary: "My invitation link, Message ID and copy-link text",
      request: { query: InvitationQuery },
      responses: { 200: json(InvitationSchema, "Invitation"), ...commonProblems },
    }),
    async (c) => {
      return c.json(presentInvitation(await invitations.invitation(auth(c), c.req.valid("query").locale)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/invitations/me/reset",
      tags: ["invitations"],
      summary: "Reset my invitation link: the old link, QR and card stop working",
      request: { query: InvitationQuery },
      responses: { 200: json(InvitationSchema, "The new invitation"), ...commonProblems },
    }),
    async (c) => {
      await invitations.resetLink(auth(c));
      return c.json(presentInvitation(await invitations.invitation(auth(c), c.req.valid("query").locale)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/invitations/me/qr.png",
      tags: ["invitations"],
      summary: "QR code of my invitation link (PNG); ?download=1 to save it",
      responses: { 200: png("QR code"), ...commonProblems },
    }),
    async (c) => {
      const bytes = await invitations.qrPng(auth(c));
      return c.body(new Uint8Array(bytes), 200, {
        "Content-Type": "image/png",
        "Cache-Control": "no-store",
        ...(c.req.query("download") ? { "Content-Disposition": 'attachment; filename="line-invitation-qr.png"' } : {}),
      });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/invitations/me/card.png",
      tags: ["invitations"],
      summary: "My business card with the invitation QR code (PNG); ?download=1 to save it",
      request: { query: InvitationQuery },
      responses: { 200: png("Business card"), ...commonProblems },
    }),
    async (c) => {
      const bytes = await invitations.cardPng(auth(c), c.req.valid("query").locale);
      return c.body(new Uint8Array(bytes), 200, {
        "Content-Type": "image/png",
        "Cache-Control": "no-store",
        ...(c.req.query("download") ? { "Content-Disposition": 'attachment; filename="line-business-card.png"' } : {}),
      });
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/invitations/me/email",
      tags: ["invitations"],
      summary: "E-mail my invitation (link + QR) to up to 10 addresses; 50 a day",
      request: jsonBody(SendInvitationEmailBody),
      responses: {
        202: json(SendInvitationEmailResult, "Queued for sending"),
        ...commonProblems,
        422: problemResponse("Too many recipients"),
        429: problemResponse("Daily limit reached"),
      },
    }),
    async (c) => c.json(await invitations.sendEmail(auth(c), c.req.valid("json")), 202),
  );

  return app;
}
