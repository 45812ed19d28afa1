import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { NotificationSettings } from "../../../shared/notifications.ts";
import { useNotificationSettings, useSaveNotificationSettings } from "../../api/notifications.ts";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { playChime } from "./chime.ts";
import { subscribeThisDevice } from "./service-worker.ts";

type Permission = NotificationPermission | "unsupported";
const currentPermission = (): Permission => ("Notification" in window ? Notification.permission : "unsupported");

/**
 * Me → "Notifications": the member's settings (kept on the server, so every device follows them)
 * and this browser's permission, which only the member can grant, with a button.
 */
export function NotificationSettingsSection() {
  const { t } = useTranslation();
  const settings = useNotificationSettings();
  const save = useSaveNotificationSettings();
  const [permission, setPermission] = useState<Permission>(currentPermission);
  const [push, setPush] = useState<boolean | null>(null);

  const change = (patch: Partial<NotificationSettings>) => settings.data && save.mutate({ ...settings.data, ...patch });
  const allow = async () => {
    const answer = await Notification.requestPermission();
    setPermission(answer);
    if (answer === "granted") setPush(await subscribeThisDevice());
  };

  return (
    <section className="card notification-settings" aria-labelledby="notifications-title">
      <h2 id="notifications-title">{t("notifications.title")}</h2>
      <p className="hint">{t("notifications.intro")}</p>
      {settings.isPending ? (
        <Loading />
      ) : settings.isError ? (
        <LoadError error={settings.error} onRetry={() => void settings.refetch()} />
      ) : (
        <>
          <label className="choice">
            <input type="checkbox" checked={settings.data.desktop} disabled={save.isPending} onChange={(e) => change({ desktop: e.target.checked })} />
            {t("notifications.desktop")}
          </label>
          <label className="choice">
            <input
              type="checkbox"
              checked={settings.data.sound}
              disabled={save.isPending}
              onChange={(e) => {
                change({ sound: e.target.checked });
                // Let the member hear what they turned on.
                if (e.target.checked) playChime();
              }}
            />
            {t("notifications.sound")}
          </label>
          <InlineProblem error={save.error} />
          <p className="notification-permission" role="status">
            {permission === "granted"
              ? push === false
                ? t("notifications.allowedNoPush")
                : t("notifications.allowed")
              : permission === "denied"
                ? t("notifications.denied")
                : permission === "unsupported"
                  ? t("notifications.unsupported")
                  : t("notifications.notYet")}
          </p>
          {permission === "default" && (
            <button type="button" className="button" onClick={() => void allow()}>
              {t("notifications.allow")}
            </button>
          )}
        </>
      )}
    </section>
  );
}
