import { useEffect } from "react";
import { useParams } from "react-router";
import { useMarkRoomRead, useMessages, useRoom } from "../../api/rooms.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { Composer } from "./composer.tsx";
import { MessageHistory } from "./message-history.tsx";
import { RoomHeader } from "./room-header.tsx";

/** One room: who, the history, the composer. Keyed by room so nothing carries over between rooms. */
export function RoomView() {
  const { roomId = "" } = useParams();
  return <RoomScreen key={roomId} roomId={roomId} />;
}

function RoomScreen({ roomId }: { roomId: string }) {
  const room = useRoom(roomId);
  useMarkReadOnNewMessages(roomId, room.data?.unreadCount ?? 0);
  if (room.isPending) return <Loading />;
  if (room.isError) return <LoadError error={room.error} onRetry={() => void room.refetch()} />;
  return (
    <section className="room" aria-labelledby="room-title">
      <RoomHeader room={room.data} />
      <MessageHistory roomId={roomId} />
      <Composer roomId={roomId} blocked={room.data.state === "blocked"} />
    </section>
  );
}

/** Opening the room, and every new message while it is open, counts as read. */
function useMarkReadOnNewMessages(roomId: string, unreadCount: number) {
  const messages = useMessages(roomId);
  const newestId = messages.data?.pages[0]?.items[0]?.id;
  const { mutate } = useMarkRoomRead(roomId);
  useEffect(() => {
    if (newestId || unreadCount > 0) mutate();
  }, [newestId, unreadCount, mutate]);
}
