import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Room } from "../../../shared/rooms.ts";
import { useAddLineContact } from "../../api/rooms.ts";
import { Avatar } from "../../components/avatar.tsx";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { LineBadge } from "./line-badge.tsx";

export function RoomHeader({ room }: { room: Room }) {
  const { t } = useTranslation();
  const toast = useToast();
  const addContact = useAddLineContact(room.id);
  const name = room.lineUser.displayName ?? t("rooms.unknownUser");
  return (
    <header className="room-header">
      <Link to="/message" className="button button-quiet room-back mobile-only" aria-label={t("rooms.back")}>
        ←
      </Link>
      <Avatar name={name} photoUrl={room.lineUser.pictureUrl} size={48} />
      <div className="room-title">
        <h2 className="room-name-heading" id="room-title">
          <span>{name}</span> <LineBadge />
          {room.state === "blocked" && <span className="badge badge-muted">{t("rooms.blockedBadge")}</span>}
        </h2>
        {room.lineUser.statusMessage && <p className="hint room-status">{room.lineUser.statusMessage}</p>}
      </div>
      <div className="room-header-actions">
        <button
          type="button"
          className="button"
          disabled={addContact.isPending}
          onClick={() => addContact.mutate(undefined, { onSuccess: () => toast(t("rooms.contactAdded")) })}
        >
          {t("rooms.addContact")}
        </button>
        <InlineProblem error={addContact.error} />
      </div>
    </header>
  );
}
