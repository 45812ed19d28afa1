import { useEffect, useId, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link, NavLink } from "react-router";
import type { Room } from "../../../shared/rooms.ts";
import { isProblem } from "../../api/client.ts";
import { useRooms, type RoomFilter } from "../../api/rooms.ts";
import { Avatar } from "../../components/avatar.tsx";
import { LoadError, Loading } from "../../components/states.tsx";
import { LineAvailability } from "../line/line-availability.tsx";
import { LineBadge } from "./line-badge.tsx";
import { StickerImage } from "./sticker-image.tsx";
import { relativeTime } from "./relative-time.ts";

const SEARCH_DELAY_MS = 250;

/** The latest value after it stopped changing for `ms`, so typing does not fire one request per key. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function RoomList() {
  const { t } = useTranslation();
  const searchId = useId();
  const [search, setSearch] = useState("");
  const [filter, setFilter] = useState<RoomFilter>("all");
  const q = useSettled(search.trim(), SEARCH_DELAY_MS);
  const rooms = useRooms(q, filter);

  return (
    <section className="room-list" aria-label={t("rooms.listLabel")}>
      <div className="room-list-tools">
        <label htmlFor={searchId} className="visually-hidden">
          {t("rooms.search")}
        </label>
        <input id={searchId} type="search" placeholder={t("rooms.search")} value={search} onChange={(e) => setSearch(e.target.value)} />
        <div className="chips" role="group" aria-label={t("rooms.filterLabel")}>
          {(["all", "line"] as const).map((f) => (
            <button key={f} type="button" className="chip" aria-pressed={filter === f} onClick={() => setFilter(f)}>
              {f === "all" ? t("rooms.filterAll") : t("rooms.filterLine")}
            </button>
          ))}
        </div>
      </div>
      <RoomListBody rooms={rooms} searching={q !== ""} />
    </section>
  );
}

/** "[Image]", "[File] a.pdf": the kind in the member's language, then the file name or place, if any. */
function previewText(t: TFunction, room: Room): string {
  if (room.lastMessageType === null) return room.lastMessagePreview ?? t("rooms.noMessagesYet");
  if (room.lastMessageType === "text") return room.lastMessagePreview ?? "";
  const kind = t(`rooms.previewKind.${room.lastMessageType}`);
  return room.lastMessagePreview ? `${kind} ${room.lastMessagePreview}` : kind;
}
function RoomListBody({ rooms, searching }: { rooms: ReturnType<typeof useRooms>; searching: boolean }) {
  const { t } = useTranslation();
  if (rooms.isPending) return <Loading />;
  if (rooms.isError) {
    // The administrator may have withdrawn LINE since /me loaded: say so as the rest of the app does.
    if (isProblem(rooms.error, "plan_required") || isProblem(rooms.error, "line_not_allowed")) {
      return <LineAvailability emptyText={t("line.emptyRooms")} listLabel={t("line.lineRooms")} />;
    }
    return <LoadError error={rooms.error} onRetry={() => void rooms.refetch()} />;
  }
  const items = rooms.data.pages.flatMap((p) => p.items);
  if (items.length === 0) return searching ? <p className="hint room-list-note">{t("rooms.noMatches")}</p> : <EmptyRooms />;
  return (
    <>
      <ul className="rooms">
        {items.map((room) => (
          <RoomRow key={room.id} room={room} />
        ))}
      </ul>
      {rooms.hasNextPage && (
        <button type="button" className="button button-quiet load-more" disabled={rooms.isFetchingNextPage} onClick={() => void rooms.fetchNextPage()}>
          {rooms.isFetchingNextPage ? t("common.loading") : t("rooms.loadMore")}
        </button>
      )}
    </>
  );
}

function EmptyRooms() {
  const { t } = useTranslation();
  return (
    <div className="card empty">
      <h2>{t("rooms.emptyTitle")}</h2>
      <p>{t("rooms.emptyBody")}</p>
      <Link to="/contacts/new/line" className="button button-primary">
        {t("rooms.openInvitation")}
      </Link>
    </div>
  );
}

function RoomRow({ room }: { room: Room }) {
  const { t, i18n } = useTranslation();
  const name = room.lineUser.displayName ?? t("rooms.unknownUser");
  return (
    <li>
      <NavLink to={`/message/${room.id}`} className="room-row">
        <Avatar name={name} photoUrl={room.lineUser.pictureUrl} size={44} />
        <span className="room-row-text">
          <span className="room-row-top">
            <span className="room-name">{name}</span>
            <LineBadge />
            {room.state === "blocked" && <span className="badge badge-muted">{t("rooms.blockedBadge")}</span>}
            <time className="room-time" dateTime={room.lastActivityAt} title={new Date(room.lastActivityAt).toLocaleString(i18n.language)}>
              {relativeTime(room.lastActivityAt, i18n.language)}
            </time>
          </span>
          <span className="room-row-bottom">
            <span className="room-preview">
              {room.lastMessageType === "sticker" && room.lastMessageStickerId && (
                // The preview text already says "[Sticker]": the picture is decoration to a screen reader.
                <StickerImage packageId="" stickerId={room.lastMessageStickerId} size="small" decorative />
              )}
              {previewText(t, room)}
            </span>
            {room.unreadCount > 0 && (
              <span className="unread">
                <span aria-hidden="true">{room.unreadCount}</span>
                <span className="visually-hidden">{t("rooms.unread", { count: room.unreadCount })}</span>
              </span>
            )}
          </span>
        </span>
      </NavLink>
    </li>
  );
}
