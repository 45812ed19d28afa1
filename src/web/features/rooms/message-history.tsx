import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useMessages } from "../../api/rooms.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { MessageBubble } from "./message-bubble.tsx";

/** How close to the bottom still counts as "reading the latest" (new messages then scroll in). */
const NEAR_BOTTOM_PX = 120;

/**
 * The room's history, oldest at the top; it opens at the newest message. Older pages load when the
 * top comes into view (or with the button, for keyboards); the view stays put while they do. New
 * messages are followed while the member is at the bottom (or sent them); a member who scrolled
 * up stays where they read and gets a "New messages" pill instead.
 */
export function MessageHistory({ roomId }: { roomId: string }) {
  const { t } = useTranslation();
  const messages = useMessages(roomId);
  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLOListElement>(null);
  const seen = useRef<{ newestId?: string; height: number; nearBottom: boolean }>({ height: 0, nearBottom: true });
  const [unseenNewer, setUnseenNewer] = useState(false);

  const items = messages.data ? messages.data.pages.flatMap((p) => p.items).reverse() : [];
  const newest = items.at(-1);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const before = seen.current;
    if (newest?.id !== before.newestId) {
      if (before.nearBottom || newest?.direction === "outbound") {
        el.scrollTop = el.scrollHeight;
        before.nearBottom = true;
      } else if (before.newestId) setUnseenNewer(true);
    } else if (el.scrollHeight !== before.height) {
      // Older messages were put above: keep what the member was reading in place.
      el.scrollTop += el.scrollHeight - before.height;
    }
    seen.current = { newestId: newest?.id, height: el.scrollHeight, nearBottom: before.nearBottom };
  });

  // Stickers and images take their height only once loaded (a sticker is 120 px): while the member
  // is at the bottom, growth of the history or a smaller viewport keeps the newest message in view.
  const hasItems = items.length > 0;
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (seen.current.nearBottom) el.scrollTop = el.scrollHeight;
      seen.current.height = el.scrollHeight;
    });
    observer.observe(el);
    if (content.current) observer.observe(content.current);
    return () => observer.disconnect();
  }, [hasItems, messages.isPending]);

  const { hasNextPage, isFetchingNextPage, fetchNextPage } = messages;
  useEffect(() => {
    const sentinel = topSentinel.current;
    if (!sentinel || !hasNextPage) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { root: scroller.current },
    );
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    seen.current.nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (seen.current.nearBottom) setUnseenNewer(false);
  };

  const toNewest = () => {
    const el = scroller.current;
    if (!el) return;
    seen.current.nearBottom = true;
    el.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
    setUnseenNewer(false);
  };

  if (messages.isPending) return <Loading />;
  if (messages.isError) return <LoadError error={messages.error} onRetry={() => void messages.refetch()} />;
  return (
    <div className="history-frame">
      {/* Focusable so a keyboard can scroll it: with pictures and the card lines a short history already scrolls (WCAG 2.1.1). */}
      <div className="history" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label={t("rooms.history")}>
        <div ref={topSentinel} className="history-top">
          {hasNextPage && (
            <button type="button" className="button button-quiet" disabled={isFetchingNextPage} onClick={() => void fetchNextPage()}>
              {isFetchingNextPage ? t("common.loading") : t("rooms.loadOlder")}
            </button>
          )}
        </div>
        {items.length === 0 ? (
          <p className="hint history-empty">{t("rooms.noHistory")}</p>
        ) : (
          <ol className="messages" aria-label={t("rooms.history")} ref={content}>
            {items.map((m) => (
              <MessageBubble key={m.id} message={m} />
            ))}
          </ol>
        )}
      </div>
      {unseenNewer && (
        <button type="button" className="new-messages-pill" onClick={toNewest}>
          {t("rooms.newMessages")} ↓
        </button>
      )}
    </div>
  );
}
