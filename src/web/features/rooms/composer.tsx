import { useId, useRef, useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { STICKERS } from "../../../shared/rooms.ts";
import { StickerImage } from "./sticker-image.tsx";
import { useSendMessage, useTypingNotice, useUploadToRoom, type UploadKind } from "../../api/rooms.ts";
import { InlineProblem } from "../../components/states.tsx";
import { useSession } from "../session/session-context.tsx";

/**
 * Text, stickers, images and (when the administrator allows files) files. A blocked room keeps
 * the composer visible but disabled, with the reason, so the member knows why nothing can be sent.
 */
export function Composer({ roomId, blocked }: { roomId: string; blocked: boolean }) {
  const { t } = useTranslation();
  const { tenant } = useSession();
  const hintId = useId();
  const blockedId = useId();
  const [text, setText] = useState("");
  const [stickersOpen, setStickersOpen] = useState(false);
  const send = useSendMessage(roomId);
  const upload = useUploadToRoom(roomId);
  const typing = useTypingNotice(roomId);
  const imageInput = useRef<HTMLInputElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const sendText = () => {
    if (!text.trim() || send.isPending) return;
    // Clear at once: the message shows up in the history (often "Sent", via the live stream) before
    // this request answers, and a composer still holding it invites a double send. On failure the
    // text comes back unless the member has started typing something else.
    const sent = text;
    setText("");
    send.mutate({ type: "text", text: sent }, { onError: () => setText((now) => (now === "" ? sent : now)) });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter while an IME is composing (Japanese, Korean) confirms the conversion, not the message.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      sendText();
    }
  };

  const pick = (kind: UploadKind, input: HTMLInputElement | null) => {
    const file = input?.files?.[0];
    if (input) input.value = "";
    if (file) upload.mutate({ kind, file });
  };

  return (
    <div className="composer">
      {blocked && (
        <p className="composer-blocked" id={blockedId} role="status">
          {t("rooms.blocked")}
        </p>
      )}
      <p className="hint composer-note">{t("rooms.noRecall")}</p>
      <fieldset className="composer-fields" disabled={blocked} aria-describedby={blocked ? blockedId : undefined}>
        <textarea
          className="composer-text"
          aria-label={t("rooms.composer")}
          aria-describedby={hintId}
          rows={2}
          maxLength={5000}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim()) typing();
          }}
          onKeyDown={onKeyDown}
        />
        <span id={hintId} className="visually-hidden">
          {t("rooms.composerHint")}
        </span>
        <div className="composer-actions">
          <button type="button" className="button button-quiet" aria-expanded={stickersOpen} onClick={() => setStickersOpen((o) => !o)}>
            {t("rooms.stickers")}
          </button>
          <button type="button" className="button button-quiet" disabled={upload.isPending} onClick={() => imageInput.current?.click()}>
            {t("rooms.sendImage")}
          </button>
          <input ref={imageInput} type="file" accept="image/jpeg,image/png,image/gif,image/webp" hidden aria-label={t("rooms.sendImage")} onChange={(e) => pick("image", e.currentTarget)} />
          {tenant.line.filesAllowed && (
            <>
              <button type="button" className="button button-quiet" disabled={upload.isPending} onClick={() => fileInput.current?.click()}>
                {t("rooms.sendFile")}
              </button>
              <input ref={fileInput} type="file" hidden aria-label={t("rooms.sendFile")} onChange={(e) => pick("file", e.currentTarget)} />
            </>
          )}
          {upload.isPending && <span className="hint">{t("rooms.uploading")}</span>}
          <button type="button" className="button button-primary composer-send" disabled={!text.trim() || send.isPending} onClick={sendText}>
            {t("rooms.send")}
          </button>
        </div>
        {stickersOpen && (
          <div className="sticker-picker" role="group" aria-label={t("rooms.chooseSticker")}>
            {STICKERS.map((s) => (
              <button
                key={`${s.packageId}/${s.stickerId}`}
                type="button"
                className="sticker-choice"
                aria-label={t("rooms.sticker", s)}
                disabled={send.isPending}
                onClick={() => send.mutate({ type: "sticker", ...s }, { onSuccess: () => setStickersOpen(false) })}
              >
                <StickerImage {...s} size="choice" />
              </button>
            ))}
          </div>
        )}
      </fieldset>
      <InlineProblem error={send.error ?? upload.error} />
    </div>
  );
}
