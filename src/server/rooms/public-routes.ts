import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import type { Messaging } from "./messages.ts";

/**
 * URLs LINE's servers fetch (no session): members' sender icons and pushed images/files. Each is
 * signed, so nothing else on the server can be reached or enumerated through them.
 */
export function lineMediaRoutes(messaging: Messaging) {
  const app = new Hono<AppEnv>();
  app.get("/icons/:memberId/:file", async (c) => {
    const png = await messaging.senderIcon(c.req.param("memberId"), c.req.param("file").replace(/\.png$/, ""));
    if (!png) return c.body(null, 404);
    return c.body(new Uint8Array(png), 200, { "Content-Type": "image/png", "Cache-Control": "public, max-age=86400" });
  });
  app.get("/media/:messageId/:sig", async (c) => {
    const media = await messaging.publicMedia(c.req.param("messageId"), c.req.param("sig"));
    if (!media) return c.body(null, 404);
    return c.body(media.bytes, 200, { "Content-Type": media.type, "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff" });
  });
  return app;
}
