import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { IdParam } from "../../shared/directory.ts";
import { searchQuery } from "../search/normalize.ts";
import {
  MessageListQuery,
  MessageListSchema,
  MessageSchema,
  RoomListQuery,
  RoomListSchema,
  RoomSchema,
  SendMessageBody,
  UploadQuery,
} from "../../shared/rooms.ts";
import { bodyLimit } from "../http/body-limit.ts";
import { Problem } from "../http/problem.ts";
import { jsonBody, problemResponse } from "../http/openapi.ts";
import { UPLOAD_MAX_BYTES, type Messaging } from "./messages.ts";
import type { Database } from "../db/database.ts";
import { assertLineAccess } from "../directory/gate.ts";
import type { Auth } from "../directory/service.ts";
import type { FileStore } from "../files/store.ts";
import { serveContent, serveStoredFile } from "../files/content-policy.ts";
import type { AppEnv } from "../http/env.ts";
import { requireAuth } from "../http/middleware.ts";
import { commonProblems, createRouter, json } from "../http/openapi.ts";
import { problems } from "../http/problem.ts";
import { decodeCursor, encodeCursor, presentMessage, presentRoom } from "./presenter.ts";
import { roomRepository as repo } from "./repository.ts";
import { STICKER_ID, StickerUnavailable, type StickerImages } from "./sticker-images.ts";

/** Only members the LINE gate lets through see their LINE rooms (a revoked member's rooms disappear, history kept). */
const lineAuth = (c: Context<AppEnv>): Auth => {
  const auth = c.get("auth")!;
  assertLineAccess(auth.tenant, auth.member);
  return auth;
};

export function roomRoutes(deps: {
  db: Database;
  files: FileStore;
  messaging: Messaging;
  /** Opening a room refreshes the LINE user's profile in the background when it is stale. */
  refreshLineProfile: (lineUserId: string) => Promise<void>;
  stickers: StickerImages;
}) {
  const app = createRouter();
  app.use("/rooms", requireAuth);
  app.use("/rooms/*", requireAuth);
  app.use("/stickers/*", requireAuth);

  app.openapi(
    createRoute({
      method: "get",
      path: "/stickers/{stickerId}",
      tags: ["rooms"],
      summary: "A LINE sticker's picture (our cached copy of LINE's image; 404 when LINE has none)",
      request: { params: z.object({ stickerId: z.string().regex(STICKER_ID, "must be a LINE sticker id (digits)") }) },
      responses: { 200: { description: "Image", content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } } }, ...commonProblems },
    }),
    async (c) => {
      let bytes;
      try {
        bytes = await deps.stickers.image(c.req.valid("param").stickerId);
      } catch (err) {
        if (err instanceof StickerUnavailable) throw problems.notFound("Sticker");
        throw err;
      }
      // A sticker id's picture never changes.
      return serveContent(c, bytes, { embed: "same-origin", cacheControl: "private, max-age=2592000, immutable" });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms",
      tags: ["rooms"],
      summary: "My message rooms with LINE users, newest activity first (search by LINE display name)",
      request: { query: RoomListQuery },
      responses: { 200: json(RoomListSchema, "Rooms"), ...commonProblems },
    }),
    async (c) => {
      const auth = lineAuth(c);
      const q = c.req.valid("query");
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      if (q.cursor && !after) throw problems.validation([{ path: "cursor", message: "is not a cursor this API gave out" }]);
      const rows = await repo.list(deps.db, auth.member.id, { q: q.q ? searchQuery(q.q) : undefined, limit: q.limit + 1, after });
      const page = rows.slice(0, q.limit);
      return c.json({ items: page.map(presentRoom), nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!.last_activity_at, page.at(-1)!.id) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{id}",
      tags: ["rooms"],
      summary: "One of my rooms",
      request: { params: IdParam },
      responses: { 200: json(RoomSchema, "Room"), ...commonProblems },
    }),
    async (c) => {
      const room = await repo.room(deps.db, lineAuth(c).member.id, c.req.valid("param").id);
      if (!room) throw problems.notFound("Room");
      await deps.refreshLineProfile(room.line_user_id);
      return c.json(presentRoom(room), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{id}/picture",
      tags: ["rooms"],
      summary: "The LINE user's profile picture (our cached copy)",
      request: { params: IdParam },
      responses: { 200: { description: "Image", content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } } }, ...commonProblems },
    }),
    async (c) => {
      const room = await repo.room(deps.db, lineAuth(c).member.id, c.req.valid("param").id);
      const bytes = room?.picture_file_key ? await deps.files.get(room.picture_file_key) : undefined;
      if (!bytes) throw problems.notFound("Picture");
      return serveContent(c, bytes, { embed: "same-origin", cacheControl: "private, max-age=86400" });
    },
  );

  const RoomParam = z.object({ id: z.string().uuid("must be a UUID") });
  const MessageParam = RoomParam.extend({ messageId: z.string().uuid("must be a UUID") });

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{id}/messages",
      tags: ["rooms"],
      summary: "A room's history, newest first (pass nextCursor as `before` for older messages)",
      request: { params: RoomParam, query: MessageListQuery },
      responses: { 200: json(MessageListSchema, "Messages"), ...commonProblems },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const before = q.before ? decodeCursor(q.before) : undefined;
      if (q.before && !before) throw problems.validation([{ path: "before", message: "is not a cursor this API gave out" }]);
      const rows = await deps.messaging.history(c.get("auth")!, c.req.valid("param").id, q.limit + 1, before);
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return c.json({ items: page.map(presentMessage), nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/rooms/{id}/messages",
      tags: ["rooms"],
      summary: "Send a text or a built-in sticker to the LINE user (messages to LINE cannot be recalled)",
      request: { params: RoomParam, ...jsonBody(SendMessageBody) },
      responses: { 201: json(MessageSchema, "Queued for delivery"), ...commonProblems, 409: problemResponse("The LINE user blocked the account") },
    }),
    async (c) => c.json(presentMessage(await deps.messaging.send(c.get("auth")!, c.req.valid("param").id, c.req.valid("json"))), 201),
  );

  app.use(
    "/rooms/:id/uploads",
    bodyLimit({
      maxSize: UPLOAD_MAX_BYTES,
      onError: () => {
        throw new Problem(413, "payload_too_large", "File too large", "Images and files sent to LINE must be smaller than 10 MB.");
      },
    }),
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/rooms/{id}/uploads",
      tags: ["rooms"],
      summary: "Send an image or a file (raw bytes; files only where the administrator allows them)",
      request: {
        params: RoomParam,
        query: UploadQuery,
        body: { required: true, content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } },
      },
      responses: {
        201: json(MessageSchema, "Queued for delivery"),
        ...commonProblems,
        409: problemResponse("Blocked"),
        413: problemResponse("Too large"),
        415: problemResponse("Not an image"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (bytes.length === 0) throw problems.validation([{ path: "(body)", message: "the file is empty" }]);
      const m = await deps.messaging.send(c.get("auth")!, c.req.valid("param").id, { type: q.type }, {
        bytes,
        fileName: q.fileName,
      });
      return c.json(presentMessage(m), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/rooms/{id}/messages/{messageId}/retry",
      tags: ["rooms"],
      summary: "Retry a failed message (same retry key: LINE delivers it at most once)",
      request: { params: MessageParam },
      responses: { 200: json(MessageSchema, "Queued again"), ...commonProblems, 409: problemResponse("Not failed") },
    }),
    async (c) => {
      const p = c.req.valid("param");
      return c.json(presentMessage(await deps.messaging.retry(c.get("auth")!, p.id, p.messageId)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/rooms/{id}/typing",
      tags: ["rooms"],
      summary: "The member is typing: LINE shows the LINE user its loading animation (throttled)",
      request: { params: RoomParam },
      responses: { 204: { description: "Noted" }, ...commonProblems },
    }),
    async (c) => {
      await deps.messaging.typing(c.get("auth")!, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/rooms/{id}/read",
      tags: ["rooms"],
      summary: "Mark the room read",
      request: { params: RoomParam },
      responses: { 204: { description: "Read" }, ...commonProblems },
    }),
    async (c) => {
      await deps.messaging.markRead(c.get("auth")!, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{id}/messages/{messageId}/content",
      tags: ["rooms"],
      summary: "A message's image, video, audio or file (our stored copy)",
      request: { params: MessageParam },
      responses: { 200: { description: "Bytes", content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } }, ...commonProblems },
    }),
    async (c) => {
      const p = c.req.valid("param");
      const content = await deps.messaging.content(c.get("auth")!, p.id, p.messageId);
      return serveStoredFile(c, content.file, { fileName: content.fileName, embed: "same-origin", cacheControl: "private, max-age=86400" });
    },
  );

  return app;
}
