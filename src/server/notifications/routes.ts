import { createRoute } from "@hono/zod-openapi";
import { NotificationSettingsSchema, PushSubscriptionBody, PushUnsubscribeBody, UnreadSummarySchema, VapidKeySchema } from "../../shared/notifications.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json, jsonBody } from "../http/openapi.ts";
import type { Notifications } from "./notifications.ts";

export function notificationRoutes(notifications: Notifications) {
  const app = createRouter();
  for (const path of ["/me/notifications", "/me/unread", "/push/*"]) app.use(path, requireAuth);

  app.openapi(
    createRoute({
      method: "get",
      path: "/me/unread",
      tags: ["notifications"],
      summary: "Unread messages across my rooms (the Message tab's badge and the page title)",
      responses: { 200: json(UnreadSummarySchema, "Unread"), ...commonProblems },
    }),
    async (c) => c.json(await notifications.unread(c.get("auth")!), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/me/notifications",
      tags: ["notifications"],
      summary: "My notification settings (every device of mine follows them)",
      responses: { 200: json(NotificationSettingsSchema, "Settings"), ...commonProblems },
    }),
    async (c) => c.json(await notifications.settings(c.get("auth")!), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/me/notifications",
      tags: ["notifications"],
      summary: "Change my notification settings",
      request: jsonBody(NotificationSettingsSchema),
      responses: { 200: json(NotificationSettingsSchema, "Saved"), ...commonProblems },
    }),
    async (c) => c.json(await notifications.saveSettings(c.get("auth")!, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/push/key",
      tags: ["notifications"],
      summary: "The VAPID public key a browser subscribes to Web Push with (applicationServerKey)",
      responses: { 200: json(VapidKeySchema, "Key"), ...commonProblems },
    }),
    async (c) => c.json({ publicKey: await notifications.publicKey() }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/push/subscription",
      tags: ["notifications"],
      summary: "Register this device's push subscription; it belongs to this sign-in and ends with it",
      request: jsonBody(PushSubscriptionBody),
      responses: { 204: { description: "Registered" }, ...commonProblems },
    }),
    async (c) => {
      await notifications.subscribe(c.get("auth")!, c.req.valid("json"));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/push/unsubscribe",
      tags: ["notifications"],
      summary: "Stop pushing to this device",
      request: jsonBody(PushUnsubscribeBody),
      responses: { 204: { description: "Removed" }, ...commonProblems },
    }),
    async (c) => {
      await notifications.unsubscribe(c.get("auth")!, c.req.valid("json").endpoint);
      return c.body(null, 204);
    },
  );

  return app;
}
