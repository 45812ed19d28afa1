import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ContactSettingsSchema } from "../../../shared/contacts.ts";
import { useContactSettings, useSaveContactSettings, type ContactSettings } from "../../api/admin-contacts.ts";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

const Retention = ContactSettingsSchema.shape.trashRetentionDays;
const RETENTION_MIN = Retention.minValue ?? 1;
const RETENTION_MAX = Retention.maxValue ?? 365;

/** The company's contact settings: default privacy of new contacts, Trash retention, and the quota in use. */
export function ContactSettingsSection() {
  const { t } = useTranslation();
  const settings = useContactSettings();
  if (settings.isPending) return <Loading />;
  if (settings.isError) return <LoadError error={settings.error} onRetry={() => void settings.refetch()} />;
  // Keyed by the saved values: after a save the form starts again from what the server holds.
  return (
    <>
      <section className="card" aria-label={t("adminContacts.usageTitle")}>
        <h2>{t("adminContacts.usageTitle")}</h2>
        <p>{t("adminContacts.usage", { count: settings.data.contactCount, quota: settings.data.contactQuota.toLocaleString() })}</p>
        <p className="hint">{t("adminContacts.usageHelp")}</p>
      </section>
      <SettingsForm key={`${settings.data.defaultAccessRange}:${settings.data.trashRetentionDays}`} saved={settings.data} />
    </>
  );
}

function SettingsForm({ saved }: { saved: ContactSettings }) {
  const { t } = useTranslation();
  const toast = useToast();
  const titleId = useId();
  const daysId = useId();
  const daysErrorId = useId();
  const save = useSaveContactSettings(() => toast(t("adminContacts.settingsSaved")));
  const [range, setRange] = useState(saved.defaultAccessRange);
  const [days, setDays] = useState(String(saved.trashRetentionDays));
  const [touched, setTouched] = useState(false);
  const parsed = Retention.safeParse(days.trim() === "" ? Number.NaN : Number(days));
  const daysError = parsed.success ? null : t("adminContacts.retentionInvalid", { min: RETENTION_MIN, max: RETENTION_MAX });
  const showDaysError = touched && daysError;

  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (!parsed.success) return;
    save.mutate({ defaultAccessRange: range, trashRetentionDays: parsed.data });
  }

  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{t("adminContacts.settingsTitle")}</h2>
      <form className="contact-settings-form" onSubmit={submit} noValidate>
        <fieldset className="choices">
          <legend>{t("adminContacts.defaultPrivacy")}</legend>
          <label className="choice">
            <input type="radio" name="default-range" checked={range === "ALL"} onChange={() => setRange("ALL")} />
            {t("adminContacts.privacyAllLong")}
          </label>
          <label className="choice">
            <input type="radio" name="default-range" checked={range === "MEMBER"} onChange={() => setRange("MEMBER")} />
            {t("adminContacts.defaultOwnerOnly")}
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor={daysId} className="field-label">
            {t("adminContacts.retention")}
          </label>
          <span className="retention-input">
            <input
              id={daysId}
              type="number"
              inputMode="numeric"
              min={RETENTION_MIN}
              max={RETENTION_MAX}
              step={1}
              value={days}
              onChange={(e) => setDays(e.target.value)}
              onBlur={() => setTouched(true)}
              aria-invalid={Boolean(showDaysError)}
              aria-describedby={showDaysError ? daysErrorId : undefined}
            />
            <span>{t("adminContacts.days")}</span>
          </span>
          <span className="hint">{t("adminContacts.retentionHelp")}</span>
          {showDaysError && (
            <p className="inline-problem" role="alert" id={daysErrorId}>
              {daysError}
            </p>
          )}
        </div>
        <InlineProblem error={save.error} />
        <button type="submit" className="button button-primary" disabled={save.isPending} aria-busy={save.isPending}>
          {save.isPending ? t("common.saving") : t("adminContacts.saveSettings")}
        </button>
      </form>
    </section>
  );
}
