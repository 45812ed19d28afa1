import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { LINE_LANGUAGES, type LineAccountSettings, type Tenant } from "../../../shared/directory.ts";
import { useSetLineAccount } from "../../api/directory.ts";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

/**
 * Admin → LINE: how the company's LINE account behaves toward LINE users (issue 11) — the
 * language of its own words, "Read" receipts and the typing animation.
 */
export function LineAccountSection({ tenant }: { tenant: Tenant }) {
  const { t } = useTranslation();
  const toast = useToast();
  const save = useSetLineAccount(() => toast(t("adminLine.account.saved")));
  const [settings, setSettings] = useState<LineAccountSettings>(tenant.lineAccount);
  const change = (patch: Partial<LineAccountSettings>) => setSettings((s) => ({ ...s, ...patch }));
  const languageId = useId();

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate(settings);
  }

  return (
    <section className="card" aria-labelledby="line-account-title">
      <h2 id="line-account-title">{t("adminLine.account.title")}</h2>
      <p className="hint">{t("adminLine.account.help")}</p>
      <form onSubmit={submit} className="line-account-form">
        <div className="field">
          <label htmlFor={languageId} className="field-label">{t("adminLine.account.language")}</label>
          <select id={languageId} value={settings.language} aria-describedby={`${languageId}-help`} onChange={(e) => change({ language: e.target.value as LineAccountSettings["language"] })}>
            {LINE_LANGUAGES.map((lang) => (
              <option key={lang} value={lang}>
                {t(`adminLine.account.languages.${lang}`)}
              </option>
            ))}
          </select>
          <p id={`${languageId}-help`} className="hint">
            {t("adminLine.account.languageHelp")}
          </p>
        </div>
        <label className="choice">
          <input type="checkbox" checked={settings.readReceipts} onChange={(e) => change({ readReceipts: e.target.checked })} />
          {t("adminLine.account.readReceipts")}
        </label>
        <label className="choice">
          <input type="checkbox" checked={settings.typing} onChange={(e) => change({ typing: e.target.checked })} />
          {t("adminLine.account.typing")}
        </label>
        <InlineProblem error={save.error} />
        <button type="submit" className="button button-primary" disabled={save.isPending} aria-busy={save.isPending}>
          {save.isPending ? t("common.saving") : t("adminLine.account.save")}
        </button>
      </form>
    </section>
  );
}
