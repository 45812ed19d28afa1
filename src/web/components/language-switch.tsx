import { useId } from "react";
import { useTranslation } from "react-i18next";
import { changeLanguage, currentLanguage, LANGUAGES, type Language } from "../i18n/i18n.ts";

export function LanguageSwitch() {
  // useTranslation re-renders this on every language change, so the value stays current.
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="language-switch">
      <label htmlFor={id}>{t("account.language")}</label>
      <select id={id} value={currentLanguage()} onChange={(e) => changeLanguage(e.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </div>
  );
}
