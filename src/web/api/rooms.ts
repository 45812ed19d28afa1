import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef } from "react";
import { MessageListSchema, MessageSchema, RoomContactSchema, RoomListSchema, RoomSchema, type Message } from "../../shared/rooms.ts";
import { apiRequest } from "./client.ts";

export type RoomFilter = "all" | "line";

/** Query keys in one place, so the real-time stream invalidates exactly what the screens read. */
export const roomKeys = {
  all: ["rooms"] as const,
  lists: () => ["rooms", "list"] as const,
  list: (q: string, filter: RoomFilter) => ["rooms", "list", { q, filter }] as const,
  room: (id: string) => ["rooms", "room", id] as const,
  messages: (id: string) => ["rooms", "messages", id] as const,
  contacts: () => ["rooms", "contact"] as const,
  contact: (id: string) => ["rooms", "contact", id] as const,
};

const ROOM_PAGE = 30;
const MESSAGE_PAGE = 40;

export function useRooms(q: string, filter: RoomFilter) {
  return useInfiniteQuery({
    queryKey: roomKeys.list(q, filter),
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ filter, limit: String(ROOM_PAGE) });
      if (q) params.set("q", q);
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest("GET", `/rooms?${params}`, { schema: RoomListSchema });
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export const useRoom = (id: string) =>
  useQuery({ queryKey: roomKeys.room(id), queryFn: () => apiRequest("GET", `/rooms/${encodeURIComponent(id)}`, { schema: RoomSchema }) });

/** The room's LINE user as my contact (or in my Trash): what the room header shows after a reload. */
export const useRoomContact = (id: string) =>
  useQuery({ queryKey: roomKeys.contact(id), queryFn: () => apiRequest("GET", `/rooms/${encodeURIComponent(id)}/contact`, { schema: RoomContactSchema }) });

/** Pages come newest first; `before` walks back in time (the screen scrolls upward for more). */
export function useMessages(roomId: string) {
  return useInfiniteQuery({
    queryKey: roomKeys.messages(roomId),
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ limit: String(MESSAGE_PAGE) });
      if (pageParam) params.set("before", pageParam);
      return apiRequest("GET", `/rooms/${encodeURIComponent(roomId)}/messages?${params}`, { schema: MessageListSchema });
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export type OutgoingMessage = { type: "text"; text: string } | { type: "sticker"; packageId: string; stickerId: string };
export type UploadKind = "image" | "file";

/** Sending, uploading and retrying all answer with the message; the room and the list then refresh. */
function useRoomMutation<A>(roomId: string, fn: (args: A) => Promise<Message>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () =>
      Promise.all([client.invalidateQueries({ queryKey: roomKeys.messages(roomId) }), client.invalidateQueries({ queryKey: roomKeys.lists() })]),
  });
}

const roomPath = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;

export const useSendMessage = (roomId: string) =>
  useRoomMutation(roomId, (body: OutgoingMessage) => apiRequest("POST", `${roomPath(roomId)}/messages`, { body, schema: MessageSchema }));

export const useUploadToRoom = (roomId: string) =>
  useRoomMutation(roomId, ({ kind, file }: { kind: UploadKind; file: File }) =>
    apiRequest("POST", `${roomPath(roomId)}/uploads?${new URLSearchParams({ type: kind, fileName: file.name })}`, { body: file, schema: MessageSchema }),
  );

export const useRetryMessage = (roomId: string) =>
  useRoomMutation(roomId, (messageId: string) =>
    apiRequest("POST", `${roomPath(roomId)}/messages/${encodeURIComponent(messageId)}/retry`, { schema: MessageSchema }),
  );

/** LINE's loading animation lasts 5 s; telling the server more often than that changes nothing. */
const TYPING_EVERY_MS = 4_000;

/** "I am typing", for LINE's loading animation on the LINE user's side; a lost one is harmless. */
export function useTypingNotice(roomId: string) {
  const last = useRef(0);
  return useCallback(() => {
    const now = Date.now();
    if (now - last.current < TYPING_EVERY_MS) return;
    last.current = now;
    apiRequest("POST", `${roomPath(roomId)}/typing`).catch(() => undefined);
  }, [roomId]);
}

export function useMarkRoomRead(roomId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiRequest("POST", `${roomPath(roomId)}/read`),
    onSuccess: () => client.invalidateQueries({ queryKey: roomKeys.lists() }),
  });
}
