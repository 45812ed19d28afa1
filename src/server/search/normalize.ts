/**
 * How typed text is compared in every search (contacts, message rooms): one folding for the
 * stored text and the query, so what finds a contact finds its room too.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";

/**
 * NFKC, lower case, katakana folded to hiragana: "ﾀﾅｶ", "タナカ" and "たなか" find each other,
 * and so do "ＡＢＣ" and "abc". Phonetic names are typed in either kana.
 */
export function foldForSearch(s: string): string {
  return s
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u30a1-\u30f6]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0x60));
}

const digitsOf = (s: string) => s.normalize("NFKC").replace(/\D/g, "");

/** A phone query must carry at least this many digits, so "1" does not match every number. */
export const PHONE_QUERY_MIN_DIGITS = 4;

/**
 * The international and national digits of a full number, when libphonenumber-js recognises it
 * ("+81 90-1111-2222" → 819011112222 and 09011112222); nothing for a national number without a
 * country code, whose country is not known.
 */
function numberForms(s: string): string[] {
  const parsed = parsePhoneNumberFromString(s);
  if (!parsed?.isValid()) return [];
  return [parsed.number.slice(1), digitsOf(parsed.formatNational())];
}

/**
 * What a stored phone is searched by: its digits as typed and, for a full international number,
 * its national form too, so "090-1111" and "09011112222" find "+81 90-1111-2222". Forms are
 * separated by a space, which no query's digits contain, so a match never spans two forms.
 */
export function phoneSearchDigits(telephone: string): string {
  return [...new Set([digitsOf(telephone), ...numberForms(telephone)])].filter(Boolean).join(" ");
}

/**
 * The digit strings to look for when the query looks like (a piece of) a phone number, else
 * undefined: its digits, and the national form when it is a full international number (which
 * then also finds the number stored without its country code).
 */
export function phoneQueryDigits(q: string): string[] | undefined {
  const normalized = q.normalize("NFKC").trim();
  if (!/^[+0-9()\-.\s]+$/.test(normalized)) return undefined;
  const digits = digitsOf(normalized);
  return digits.length >= PHONE_QUERY_MIN_DIGITS ? [...new Set([digits, ...numberForms(normalized)])] : undefined;
}

/** A search as the repositories take it: folded text, and phone digits when the query is one. */
export interface SearchQuery {
  text: string;
  digits?: string[];
}

export const searchQuery = (q: string): SearchQuery => ({ text: foldForSearch(q), digits: phoneQueryDigits(q) });

/** Escapes LIKE wildcards so a user's "%" or "_" is matched literally. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
