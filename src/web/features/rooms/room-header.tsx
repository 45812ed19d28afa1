import { useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Room } from "../../../shared/rooms.ts";
import { isProblem } from "../../api/client.ts";
import { useAddLineContact, useRestoreContact } from "../../api/contacts.ts";
import { roomKeys, useRoomContact } from "../../api/rooms.ts";
import { Avatar } from "../../components/avatar.tsx";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { LineBadge } from "./line-badge.tsx";

export function RoomHeader({ room }: { room: Room }) {
  const { t } = useTranslation();
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
      <AddLineContact roomId={room.id} />
    </header>
  );
}

/**
 * "Add LINE Contact". The room knows its contact from the server, so after a reload it still shows
 * the linked contact instead of the button; adding says "added" only when a contact was created,
 * and opens the one I already see otherwise. One in my Trash is offered for restore.
 */
function AddLineContact({ roomId }: { roomId: string }) {
  const { t } = useTranslation();
  const toast = useToast();
  const client = useQueryClient();
  const link = useRoomContact(roomId);
  const add = useAddLineContact(roomId);
  const restore = useRestoreContact();
  const relink = () => client.invalidateQueries({ queryKey: roomKeys.contact(roomId) });
  const inTrash = isProblem(add.error, "contact_in_trash") ? add.error.problem.contactId : undefined;
  const contactId = restore.data?.contactId ?? add.data?.contact.contactId ?? link.data?.contactId;
  // Until the link is known, neither the button nor the link: a flash of "Add" invites a wrong tap.
  if (link.isPending) return <div className="room-header-actions" />;
  if (contactId) {
    return (
      <div className="room-header-actions">
        <p className="contact-added">
          <span>{add.data?.created ? t("rooms.added") : t("rooms.contactLinked")}</span>{" "}
          <Link to={`/contacts/${contactId}`} className="button button-small">
            {t("rooms.openContact")}
          </Link>
        </p>
      </div>
    );
  }
  return (
    <div className="room-header-actions">
      <button
        type="button"
        className="button"
        disabled={add.isPending}
        onClick={() =>
          add.mutate(undefined, {
            onSuccess: (result) => {
              toast(result.created ? t("rooms.contactAdded") : t("rooms.contactAlready"));
              void relink();
            },
          })
        }
      >
        {t("rooms.addContact")}
      </button>
      <InlineProblem error={add.error ?? link.error} />
      {inTrash && (
        <>
          <button
            type="button"
            className="button button-small"
            disabled={restore.isPending}
            onClick={() =>
              restore.mutate(inTrash, {
                onSuccess: () => {
                  toast(t("rooms.contactRestored"));
                  void relink();
                },
              })
            }
          >
            {t("rooms.restoreContact")}
          </button>
          <InlineProblem error={restore.error} />
        </>
      )}
    </div>
  );
}
