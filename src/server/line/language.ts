/** The languages the company's LINE account has words for. */
export const LINE_LANGUAGES = ["en", "ja", "ko"] as const;
export type LineLanguage = (typeof LINE_LANGUAGES)[number];

/**
 * One language per LINE user: their LINE language (the profile's `language`, e.g. `ja`, `ko-KR`)
 * when the account has words for it, else the company's. Every text the account sends a LINE
 * user goes through this, so one person is never answered in two languages.
 */
export function lineLanguageOf(lineUserLanguage: string | null, companyLanguage: LineLanguage): LineLanguage {
  const base = lineUserLanguage?.toLowerCase().split(/[-_]/)[0];
  return (LINE_LANGUAGES as readonly string[]).includes(base ?? "") ? (base as LineLanguage) : companyLanguage;
}
