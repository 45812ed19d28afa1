import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { CONTACT_EVENT_TYPES, CONTACT_IMPORT_PROGRESS, ContactEventDataSchema, ContactImportProgressSchema } from "../../shared/contacts.ts";
import { InboundMessageEventSchema, type MessageNotice } from "../../shared/notifications.ts";
import { previewLine } from "../../shared/rooms.ts";
import { currentLanguage } from "../i18n/i18n.ts";
import { REALTIME_RESET } from "../../shared/realtime.ts";
import { contactKeys } from "./contacts.ts";
import { notificationKeys } from "./notifications.ts";
import { roomKeys } from "./rooms.ts";

type Handler = (client: QueryClient, data: Record<string, unknown>) => void;

const roomIdOf = (data: Record<string, unknown>) => (typeof data.roomId === "string" ? data.roomId : undefined);

/** What each domain event makes stale. Events name what changed; the screens refetch it. */
const HANDLERS: Record<string, Handler> = {
  "room.created": (client) => void client.invalidateQueries({ queryKey: roomKeys.lists() }),
  "room.updated": (client, data) => {
    void client.invalidateQueries({ queryKey: roomKeys.lists() });
    // Reading a room (here or on another device) and a block change the unread count.
    void client.invalidateQueries({ queryKey: notificationKeys.unread });
    const roomId = roomIdOf(data);
    if (roomId) {
      void client.invalidateQueries({ queryKey: roomKeys.room(roomId) });
      // A block or unblock also leaves a line in the history.
      void client.invalidateQueries({ queryKey: roomKeys.messages(roomId) });
    }
  },
  "message.created": (client, data) => {
    void client.invalidateQueries({ queryKey: roomKeys.lists() });
    void client.invalidateQueries({ queryKey: notificationKeys.unread });
    const roomId = roomIdOf(data);
    if (roomId) void client.invalidateQueries({ queryKey: roomKeys.messages(roomId) });
  },
};
HANDLERS["message.updated"] = HANDLERS["message.created"]!;

/**
 * Any contact event can move a contact into or out of my lists and Trash (sharing, delete,
 * restore), so those refetch; of the details only the contacts named (a hidden one answers 404).
 */
const contactChanged: Handler = (client, data) => {
  void client.invalidateQueries({ queryKey: contactKeys.lists() });
  void client.invalidateQueries({ queryKey: contactKeys.trash() });
  // Which contact a room links to follows adds, deletes, restores and sharing changes.
  void client.invalidateQueries({ queryKey: roomKeys.contacts() });
  const parsed = ContactEventDataSchema.safeParse(data);
  const ids = !parsed.success ? [] : "contactId" in parsed.data ? [parsed.data.contactId] : parsed.data.contactIds;
  for (const id of ids) void client.invalidateQueries({ queryKey: contactKeys.contact(id) });
};
for (const type of CONTACT_EVENT_TYPES) HANDLERS[type] = contactChanged;

/** A chunk of my vCard import is done: its progress bar (and, at the end, its report) refetch. */
HANDLERS[CONTACT_IMPORT_PROGRESS] = (client, data) => {
  const parsed = ContactImportProgressSchema.safeParse(data);
  if (parsed.success) void client.invalidateQueries({ queryKey: contactKeys.import(parsed.data.importId) });
};

function parse(event: MessageEvent): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(String(event.data));
    return data && typeof data === "object" ? (data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Keeps the signed-in member's screens live over `GET /api/v1/events`. EventSource reconnects
 * by itself and resumes with Last-Event-ID; when the server no longer has that point it sends
 * `reset`, and everything shown is refetched. `onNotice` hears of each message a LINE user sent
 * (notifications); a replayed event after a reconnect is one the member has not been told of yet.
 */
export function useRealtimeEvents(onNotice: (notice: MessageNotice) => void) {
  const client = useQueryClient();
  const notice = useRef(onNotice);
  notice.current = onNotice;
  useEffect(() => {
    const source = new EventSource("/api/v1/events");
    // Named events never reach onmessage: each type needs its own listener.
    for (const [type, handle] of Object.entries(HANDLERS)) {
      source.addEventListener(type, (event) => handle(client, parse(event)));
    }
    source.addEventListener("message.created", (event) => {
      const parsed = InboundMessageEventSchema.safeParse(parse(event));
      if (!parsed.success) return;
      const { roomId, messageId, title, body, type } = parsed.data;
      notice.current({ roomId, messageId, title, body: type ? previewLine(type, body, currentLanguage()) : body });
    });
    source.addEventListener(REALTIME_RESET, () => void client.invalidateQueries());
    return () => source.close();
  }, [client]);
}
