import { useState } from "react";
import { useTranslation } from "react-i18next";

/** History: about LINE's own size; picker: a grid of choices; room list: beside the preview text. */
const PIXELS = { large: 120, choice: 72, small: 24 } as const;

/**
 * A LINE sticker as its picture, from our server's cached copy (never LINE's CDN directly: the CSP
 * allows images from our origin only). The alt text names the sticker; when the picture cannot be
 * had (LINE has none for the id, or the server cannot reach LINE) the same words show in its place.
 */
export function StickerImage({
  packageId,
  stickerId,
  size = "large",
  decorative = false,
}: {
  packageId: string;
  stickerId: string;
  size?: "large" | "choice" | "small";
  /** Beside text that already says "[Sticker]" (the room list): no alt text, and nothing at all if the picture fails. */
  decorative?: boolean;
}) {
  const { t } = useTranslation();
  const [failed, setFailed] = useState(false);
  const label = t("rooms.sticker", { packageId, stickerId });
  if (decorative && (failed || !/^\d{1,12}$/.test(stickerId))) return null;
  if (failed || !/^\d{1,12}$/.test(stickerId))
    return (
      <span className={`sticker-fallback sticker-size-${size}`} role="img" aria-label={label}>
        <span aria-hidden="true">{label}</span>
      </span>
    );
  return (
    <img
      className={`sticker-image sticker-size-${size}`}
      src={`/api/v1/stickers/${stickerId}`}
      alt={decorative ? "" : label}
      loading="lazy"
      width={PIXELS[size]}
      height={PIXELS[size]}
      onError={() => setFailed(true)}
    />
  );
}
