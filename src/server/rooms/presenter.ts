import type { Message, Room } from "../../shared/rooms.ts";
import type { MessageRow } from "./messages-repository.ts";
import type { RoomListRow } from "./repository.ts";

export function presentRoom(r: RoomListRow): Room {
  return {
    id: r.id,
    kind: "line",
    lineUser: {
      id: r.line_user_id,
      displayName: r.display_name,
      statusMessage: r.status_message,
      // Our cached copy: LINE's own picture URLs go stale.
      pictureUrl: r.picture_file_key ? `/api/v1/rooms/${r.id}/picture?v=${encodeURIComponent(r.picture_file_key.split("/").pop()!)}` : null,
    },
    state: r.friendship_state,
    via: r.via,
    createdAt: r.created_at.toISOString(),
    lastActivityAt: r.last_activity_at.toISOString(),
    unreadCount: r.unread_count,
    lastMessagePreview: r.last_message_preview,
    lastMessageType: r.last_message_type,
    lastMessageStickerId: r.last_message_sticker_id,
  };
}

/** Where LINE's versions of an image are stored is the server's business, not the API's. */
function withoutStorage(payload: Record<string, unknown>): Record<string, unknown> {
  if (!("line" in payload)) return payload;
  const rest = { ...payload };
  delete rest.line;
  return rest;
}

export function presentMessage(m: MessageRow): Message {
  return {
    id: m.id,
    roomId: m.room_id,
    direction: m.direction,
    type: m.type,
    // An unsent message keeps its place in the history but not its content.
    payload: m.unsent_at ? {} : withoutStorage(m.payload),
    contentUrl: m.content_key && !m.unsent_at ? `/api/v1/rooms/${m.room_id}/messages/${m.id}/content` : null,
    contentState: m.content_state,
    deliveryState: m.delivery_state,
    deliveryError: m.delivery_error,
    senderMemberId: m.sender_member_id,
    unsent: m.unsent_at !== null,
    createdAt: m.created_at.toISOString(),
  };
}

export const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString("base64url");

export function decodeCursor(cursor: string): { at: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const date = new Date(at ?? "");
  if (!id || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
  return { at: date, id };
}
