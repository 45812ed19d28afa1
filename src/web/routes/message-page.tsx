import { useTranslation } from "react-i18next";
import { Outlet, useParams } from "react-router";
import { LineAvailability } from "../features/line/line-availability.tsx";
import { RoomList } from "../features/rooms/room-list.tsx";
import { useSession } from "../features/session/session-context.tsx";

/**
 * Rooms beside the open room on PC; on phones one at a time: the list, or the room as its own
 * page with a back button (styles.css hides the other column by `data-room-open`).
 */
export function MessagePage() {
  const { t } = useTranslation();
  const { lineAccess } = useSession();
  const { roomId } = useParams();
  if (!lineAccess.allowed) {
    return (
      <div className="page">
        <h1>{t("nav.message")}</h1>
        <LineAvailability emptyText={t("line.emptyRooms")} listLabel={t("line.lineRooms")} />
      </div>
    );
  }
  return (
    <div className="message-layout" data-room-open={roomId ? "true" : "false"}>
      <div className="message-list-column">
        <h1>{t("nav.message")}</h1>
        <RoomList />
      </div>
      <div className="message-room-column">
        <Outlet />
      </div>
    </div>
  );
}

export function NoRoomSelected() {
  const { t } = useTranslation();
  return <p className="hint no-room">{t("rooms.selectRoom")}</p>;
}
