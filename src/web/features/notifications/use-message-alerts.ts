import { useCallback, useEffect, useRef } from "react";
import { useLocation, useNavigate } from "react-router";
import type { MessageNotice } from "../../../shared/notifications.ts";
import { useNotificationSettings } from "../../api/notifications.ts";
import i18n from "../../i18n/i18n.ts";
import { playChime } from "./chime.ts";
import { roomUrl, showNotice, subscribeThisDevice } from "./service-worker.ts";

/** The settings before they have loaded (and for a member who never changed them): on. */
const DEFAULTS = { desktop: true, sound: true };

/**
 * What happens when a LINE user writes while this web app is open: unless the member is looking
 * at that very room (tab visible and focused), a desktop notification (if they allow it here and
 * in their settings) and a chime (if their settings say so). Returns the stream's notice handler.
 */
export function useMessageAlerts(): (notice: MessageNotice) => void {
  const settings = useNotificationSettings();
  const location = useLocation();
  const navigate = useNavigate();
  const current = useRef({ settings: settings.data ?? DEFAULTS, path: location.pathname, navigate });
  current.current = { settings: settings.data ?? DEFAULTS, path: location.pathname, navigate };

  // A browser that already allowed notifications gets its push subscription (back) for this sign-in,
  // and registers it again when the member switches language, so its pushes follow.
  useEffect(() => {
    const register = () => {
      if ("Notification" in window && Notification.permission === "granted") void subscribeThisDevice();
    };
    register();
    i18n.on("languageChanged", register);
    return () => i18n.off("languageChanged", register);
  }, []);

  return useCallback((notice: MessageNotice) => {
    const { settings: s, path, navigate: go } = current.current;
    const onScreen = path === roomUrl(notice.roomId) && document.visibilityState === "visible" && document.hasFocus();
    if (onScreen) return;
    if (s.sound) playChime();
    if (s.desktop && "Notification" in window && Notification.permission === "granted") void showNotice(notice, (url) => void go(url));
  }, []);
}
