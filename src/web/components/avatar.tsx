import { useState } from "react";

/**
 * A member's photo, or their initial on a coloured disc when there is none or it fails to
 * load, so an avatar never shows as a broken image.
 */
export function Avatar({ name, photoUrl, size = 40 }: { name: string; photoUrl: string | null; size?: number }) {
  const [failed, setFailed] = useState<string | null>(null);
  const style = { width: size, height: size, fontSize: size * 0.45 };
  if (photoUrl && failed !== photoUrl) {
    return <img className="avatar" src={photoUrl} alt="" style={style} onError={() => setFailed(photoUrl)} />;
  }
  const initial = Array.from(name.trim())[0] ?? "?";
  return (
    <span className="avatar avatar-initial" style={style} aria-hidden="true">
      {initial}
    </span>
  );
}
