import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { DIGEST_MINUTES, type NotificationSettings } from "../../../shared/notifications.ts";
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
  const { t, i18n } = useTranslation();
  const settings = useNotificationSettings();
  const save = useSaveNotificationSettings();
  const [permission, setPermission] = useState<Permission>(currentPermission);
  const [push, setPush] = useState(false);
  const digestId = useId();
  // Say whether pushes reach this browser when Tsunagu is closed only once its subscription is registered.
  useEffect(() => {
    if (currentPermission() === "granted") void subscribeThisDevice().then(setPush);
  }, []);

  // The digest is written in the language of the screen the member saved from.
  const change = (patch: Partial<NotificationSettings>) =>
    settings.data && save.mutate({ ...settings.data, ...patch, language: i18n.language === "ja" || i18n.language === "ko" ? i18n.language : "en" });
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
          <div className="field">
            <label htmlFor={digestId} className="field-label">
              {t("notifications.digest")}
            </label>
            <select
              id={digestId}
              value={settings.data.digestMinutes ?? ""}
              disabled={save.isPending}
              onChange={(e) => change({ digestMinutes: e.target.value ? (Number(e.target.value) as NotificationSettings["digestMinutes"]) : null })}
            >
              <option value="">{t("notifications.digestOff")}</option>
              {DIGEST_MINUTES.map((m) => (
                <option key={m} value={m}>
                  {t("notifications.digestAfter", { count: m })}
                </option>
              ))}
            </select>
          </div>
          <InlineProblem error={save.error} />
          <p className="notification-permission" role="status">
            {permission === "granted"
              ? push
                ? t("notifications.allowed")
                : t("notifications.allowedNoPush")
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
