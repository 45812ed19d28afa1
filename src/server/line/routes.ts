import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import { IdParam } from "../../shared/directory.ts";
import {
  CreateLineChannelBody,
  LineChannelListSchema,
  LineChannelSchema,
  LinePublicUrlSchema,
  UpdateLineChannelBody,
  VerifyLineChannelSchema,
  WebhookEventIdParam,
  WebhookEventListSchema,
  WebhookEventQuery,
  WebhookEventSchema,
} from "../../shared/line.ts";
import type { Database } from "../db/database.ts";
import type { Auth } from "../directory/service.ts";
import type { AppEnv } from "../http/env.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, jsonBody, problemResponse } from "../http/openapi.ts";
import { problems } from "../http/problem.ts";
import type { ChannelService } from "./channels.ts";
import type { Inbox } from "./inbox.ts";
import { presentChannel, presentWebhookEvent } from "./presenter.ts";
import { lineRepository as repo, type ChannelRow } from "./repository.ts";
import { retryFailedEvent } from "./retry.ts";

const auth = (c: Context<AppEnv>): Auth => c.get("auth")!;

/** Admin API for the company's LINE channels and the webhook inbox (mounted under /api/v1). */
export function lineAdminRoutes(deps: {
  db: Database;
  channels: ChannelService;
  inbox: Pick<Inbox, "requeue">;
  webhookUrl: (channelId: string) => string;
  publicUrl: () => z.infer<typeof LinePublicUrlSchema>;
}) {
  const { channels } = deps;
  const app = createRouter();
  const present = (c: ChannelRow) => presentChannel(c, deps.webhookUrl(c.channel_id));
  app.use("/admin/line/*", requireAuth);

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/line/channels",
      tags: ["admin", "line"],
      summary: "The company's LINE channels (secrets are never returned)",
      responses: { 200: json(LineChannelListSchema, "Channels"), ...commonProblems },
    }),
    async (c) => c.json({ items: (await channels.list(auth(c))).map(present) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/line/public-url",
      tags: ["admin", "line"],
      summary: "Where LINE fetches pushed images and sender icons from (PUBLIC_BASE_URL), and whether it is HTTPS as LINE requires",
      responses: { 200: json(LinePublicUrlSchema, "The public base URL"), ...commonProblems },
    }),
    async (c) => {
      channels.requireAdmin(auth(c));
      return c.json(deps.publicUrl(), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/line/channels",
      tags: ["admin", "line"],
      summary: "Connect a LINE Messaging API channel (and its linked LINE Login channel)",
      request: jsonBody(CreateLineChannelBody),
      responses: { 201: json(LineChannelSchema, "Connected"), ...commonProblems, 409: problemResponse("Channel already connected") },
    }),
    async (c) => c.json(present(await channels.create(auth(c), c.req.valid("json"))), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/line/channels/{id}",
      tags: ["admin", "line"],
      summary: "One LINE channel, with the webhook URL to enter in the LINE Developers Console",
      request: { params: IdParam },
      responses: { 200: json(LineChannelSchema, "Channel"), ...commonProblems },
    }),
    async (c) => c.json(present(await channels.get(auth(c), c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/admin/line/channels/{id}",
      tags: ["admin", "line"],
      summary: "Change a channel's mode, member or credentials",
      request: { params: IdParam, ...jsonBody(UpdateLineChannelBody) },
      responses: { 200: json(LineChannelSchema, "Updated"), ...commonProblems },
    }),
    async (c) => c.json(present(await channels.update(auth(c), c.req.valid("param").id, c.req.valid("json"))), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/line/channels/{id}/verify",
      tags: ["admin", "line"],
      summary: "Check the credentials with LINE (GET /v2/bot/info) and record the bot's basic id and name",
      request: { params: IdParam },
      responses: {
        200: json(VerifyLineChannelSchema, "LINE accepted the credentials"),
        ...commonProblems,
        422: problemResponse("LINE refused the credentials"),
      },
    }),
    async (c) => {
      const { bot, channel } = await channels.verify(auth(c), c.req.valid("param").id);
      return c.json(
        {
          ok: true as const,
          bot: {
            userId: bot.userId,
            basicId: bot.basicId,
            displayName: bot.displayName,
            ...(bot.pictureUrl ? { pictureUrl: bot.pictureUrl } : {}),
            chatMode: bot.chatMode,
            markAsReadMode: bot.markAsReadMode,
          },
          channel: present(channel),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/line/events",
      tags: ["admin", "line"],
      summary: "Webhook events received by the company's channels, newest first (state=failed: the parked ones)",
      request: { query: WebhookEventQuery },
      responses: { 200: json(WebhookEventListSchema, "Events"), ...commonProblems },
    }),
    async (c) => {
      const a = auth(c);
      if (a.member.role !== "admin") throw problems.adminRequired();
      const q = c.req.valid("query");
      const events = await repo.tenantEvents(deps.db, a.tenant.id, q.state, q.limit);
      return c.json({ items: events.map((e) => ({ ...presentWebhookEvent(e), attempts: e.attempts })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/line/events/{id}/retry",
      tags: ["admin", "line"],
      summary: "Queue an event parked as failed again (new job, attempts from zero); audited",
      request: { params: WebhookEventIdParam },
      responses: {
        200: json(WebhookEventSchema, "Back in the queue (state pending)"),
        ...commonProblems,
        409: problemResponse("The event is not failed (already processed, pending or retried)"),
      },
    }),
    async (c) => {
      const event = await retryFailedEvent(deps, auth(c), c.req.valid("param").id);
      return c.json({ ...presentWebhookEvent(event), attempts: 0 }, 200);
    },
  );

  return app;
}
