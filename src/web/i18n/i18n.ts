import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import { en } from "./en.ts";
import { ja } from "./ja.ts";
import { ko } from "./ko.ts";

export const LANGUAGES = [
  { code: "en", label: "English" },
  { code: "ja", label: "日本語" },
  { code: "ko", label: "한국어" },
] as const;
export type Language = (typeof LANGUAGES)[number]["code"];

const STORAGE_KEY = "tsunagu.language";
const isLanguage = (s: string | null | undefined): s is Language => LANGUAGES.some((l) => l.code === s);

// Storage can throw (disabled cookies, some private modes); the language then lasts one visit.
function stored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The remembered choice first, then the browser's languages ("ja-JP" → ja), then English. */
export function detectLanguage(): Language {
  const remembered = stored();
  if (isLanguage(remembered)) return remembered;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLanguage(base)) return base;
  }
  return "en";
}

export function changeLanguage(lang: Language) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered, but still switched for this visit.
  }
  void i18n.changeLanguage(lang);
}

export function currentLanguage(): Language {
  return isLanguage(i18n.resolvedLanguage) ? i18n.resolvedLanguage : "en";
}

i18n.on("languageChanged", (lng) => {
  document.documentElement.lang = lng;
});

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ja: { translation: ja }, ko: { translation: ko } },
  lng: detectLanguage(),
  fallbackLng: "en",
  // Resources are bundled, so initialise synchronously: the first render is already translated.
  initAsync: false,
  // React escapes text itself; i18next escaping would double-escape names like "A&B".
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18n;
