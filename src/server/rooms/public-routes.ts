import { Hono } from "hono";
import { serveContent, serveStoredFile, type ServeOptions } from "../files/content-policy.ts";
import type { AppEnv } from "../http/env.ts";
import type { Messaging } from "./messages.ts";

/**
 * Embeddable from other origins: LINE's apps show pushed images and sender icons, and
 * Cross-Origin-Resource-Policy: same-origin would break any LINE client that loads them as a
 * cross-origin image. The URLs are signed and the bytes go through the same content policy as
 * the API (sniffed type, inline only for images and media, CSP sandbox), so embedding leaks
 * nothing the URL's holder could not download anyway.
 */
const PUBLIC: Omit<ServeOptions, "fileName"> = { embed: "cross-origin", cacheControl: "public, max-age=86400" };

/**
 * URLs LINE's servers fetch (no session): members' sender icons and pushed images/files. Each is
 * signed, so nothing else on the server can be reached or enumerated through them.
 */
export function lineMediaRoutes(messaging: Messaging) {
  const app = new Hono<AppEnv>();
  app.get("/icons/:memberId/:file", async (c) => {
    const png = await messaging.senderIcon(c.req.param("memberId"), c.req.param("file").replace(/\.png$/, ""));
    if (!png) return c.body(null, 404);
    return serveContent(c, new Uint8Array(png), PUBLIC);
  });
  app.get("/media/:messageId/:sig", async (c) => {
    const media = await messaging.publicMedia(c.req.param("messageId"), c.req.param("sig"));
    if (!media) return c.body(null, 404);
    return serveStoredFile(c, media.file, { ...PUBLIC, fileName: media.fileName });
  });
  app.get("/media/:messageId/:sig/preview", async (c) => {
    const media = await messaging.publicMedia(c.req.param("messageId"), c.req.param("sig"), "preview");
    if (!media) return c.body(null, 404);
    return serveStoredFile(c, media.file, { ...PUBLIC, fileName: media.fileName });
  });
  return app;
}
