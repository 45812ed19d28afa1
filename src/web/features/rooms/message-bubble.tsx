import { useTranslation } from "react-i18next";
import type { Message } from "../../../shared/rooms.ts";
import { useRetryMessage } from "../../api/rooms.ts";
import { InlineProblem } from "../../components/states.tsx";
import { fileSize } from "./relative-time.ts";
import { StickerImage } from "./sticker-image.tsx";

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/** One message; everything from LINE is rendered as text (React escapes it), never as HTML. */
export function MessageBubble({ message }: { message: Message }) {
  const { i18n } = useTranslation();
  if (message.direction === "system") return <SystemLine message={message} />;
  const mine = message.direction === "outbound";
  return (
    <li className={`bubble-row ${mine ? "bubble-row-mine" : ""}`} data-message-id={message.id}>
      <div className={`bubble bubble-type-${message.type} ${mine ? "bubble-mine" : ""}`}>
        <MessageContent message={message} />
      </div>
      <div className="bubble-meta">
        <time dateTime={message.createdAt}>{new Date(message.createdAt).toLocaleTimeString(i18n.language, { hour: "2-digit", minute: "2-digit" })}</time>
        {mine && <DeliveryState message={message} />}
      </div>
    </li>
  );
}

function MessageContent({ message }: { message: Message }) {
  const { t } = useTranslation();
  const p = message.payload;
  if (message.unsent) return <em className="hint">{t("rooms.unsent")}</em>;
  switch (message.type) {
    case "text":
      return <p className="message-text">{str(p.text)}</p>;
    case "sticker":
      return <StickerImage packageId={str(p.packageId)} stickerId={str(p.stickerId)} />;
    case "image":
      return message.contentUrl ? (
        <a href={message.contentUrl} target="_blank" rel="noreferrer">
          <img className="bubble-image" src={message.contentUrl} alt={t("rooms.image")} loading="lazy" />
        </a>
      ) : (
        <MediaPlaceholder message={message} />
      );
    case "video":
      return message.contentUrl ? (
        <video className="bubble-media" src={message.contentUrl} controls preload="metadata" aria-label={t("rooms.video")} />
      ) : (
        <MediaPlaceholder message={message} />
      );
    case "audio":
      return message.contentUrl ? (
        <audio src={message.contentUrl} controls preload="metadata" aria-label={t("rooms.audio")} />
      ) : (
        <MediaPlaceholder message={message} />
      );
    case "file": {
      const name = str(p.fileName) || t("rooms.download");
      const size = typeof p.fileSize === "number" ? fileSize(p.fileSize) : "";
      return (
        <span className="bubble-file">
          <span className="file-name">{name}</span>
          {size && <span className="hint">{size}</span>}
          {message.contentUrl ? (
            <a className="button button-quiet" href={message.contentUrl} download={name}>
              {t("rooms.download")}
            </a>
          ) : (
            <MediaPlaceholder message={message} />
          )}
        </span>
      );
    }
    case "location":
      return (
        <span className="bubble-location">
          <strong>{str(p.title) || t("rooms.location")}</strong>
          <span>{str(p.address)}</span>
          <span className="hint">
            {str(p.latitude)}, {str(p.longitude)}
          </span>
        </span>
      );
    case "system":
      return <AutomaticContent message={message} />;
    default:
      return <em className="hint">{t("rooms.unsupported")}</em>;
  }
}

/**
 * What the company's LINE account sent by itself (the member's card, the greeting under it): shown
 * on the member's side as the LINE user saw it, marked as sent automatically since no one typed it.
 */
function AutomaticContent({ message }: { message: Message }) {
  const { t } = useTranslation();
  const p = message.payload;
  if (p.event === "card_sent")
    return (
      <span className="bubble-card">
        <span className="hint">{t("rooms.cardSent")}</span>
        <strong>{str(p.memberName)}</strong>
        <span className="hint">{str(p.company)}</span>
      </span>
    );
  if (p.event === "greeting_sent")
    return (
      <>
        <span className="hint automatic-label">{t("rooms.sentAutomatically")}</span>
        <p className="message-text">{str(p.text)}</p>
      </>
    );
  return <em className="hint">{t("rooms.unsupported")}</em>;
}

/** A block, an unblock or a contact added: a centred line with its time, between the messages. */
function SystemLine({ message }: { message: Message }) {
  const { t, i18n } = useTranslation();
  const p = message.payload;
  const time = new Date(message.createdAt).toLocaleString(i18n.language, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const text =
    p.event === "blocked"
      ? t("rooms.systemBlocked")
      : p.event === "unblocked"
        ? t("rooms.systemUnblocked")
        : p.event === "contact_added"
          ? t("rooms.systemContactAdded", { name: str(p.memberName) })
          : t("rooms.unsupported");
  return (
    <li className="system-line" data-message-id={message.id}>
      <span>{text}</span> <time dateTime={message.createdAt}>{time}</time>
    </li>
  );
}

function MediaPlaceholder({ message }: { message: Message }) {
  const { t } = useTranslation();
  return <span className="hint">{message.contentState === "failed" ? t("rooms.mediaFailed") : t("rooms.mediaPending")}</span>;
}

function DeliveryState({ message }: { message: Message }) {
  const { t } = useTranslation();
  const retry = useRetryMessage(message.roomId);
  switch (message.deliveryState) {
    case "sending":
      return <span className="delivery">{t("rooms.sending")}</span>;
    case "sent":
      return <span className="delivery">{t("rooms.sent")}</span>;
    case "failed":
      return (
        <span className="delivery delivery-failed">
          <span>{message.deliveryError ? t("rooms.failed", { reason: message.deliveryError }) : t("rooms.failedNoReason")}</span>
          <button type="button" className="button button-quiet button-small" disabled={retry.isPending} onClick={() => retry.mutate(message.id)}>
            {t("rooms.retry")}
          </button>
          <InlineProblem error={retry.error} />
        </span>
      );
    default:
      return null;
  }
}
