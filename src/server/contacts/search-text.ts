/**
 * The derived search columns of a contact. Both the stored text and the query go through
 * `foldForSearch`, so "ﾀﾅｶ", "タナカ" and "たなか" find each other, and so do "ＡＢＣ" and "abc".
 */
export function foldForSearch(s: string): string {
  return (
    s
      .normalize("NFKC")
      .toLowerCase()
      // Katakana → hiragana: phonetic names are typed in either.
      .replace(/[\u30a1-\u30f6]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0x60))
  );
}

export const digitsOf = (s: string) => s.normalize("NFKC").replace(/\D/g, "");

/** A phone query must carry at least this many digits, so "1" does not match every number. */
export const PHONE_QUERY_MIN_DIGITS = 4;

/** Digits of the query when it looks like (a piece of) a phone number, else undefined. */
export function phoneQueryDigits(q: string): string | undefined {
  const normalized = q.normalize("NFKC").trim();
  if (!/^[+0-9()\-.\s]+$/.test(normalized)) return undefined;
  const digits = digitsOf(normalized);
  return digits.length >= PHONE_QUERY_MIN_DIGITS ? digits : undefined;
}

export interface SearchableContact {
  lastName: string;
  firstName: string;
  phoneticLastName: string;
  phoneticFirstName: string;
  nickName: string;
  organizations: { name: string; department: string; title: string }[];
  emails: { email: string }[];
  telephones: { telephone: string }[];
}

export function searchColumns(c: SearchableContact) {
  // One field per line: a query never matches across the boundary of two fields.
  const fields = [
    `${c.lastName} ${c.firstName}`,
    `${c.lastName}${c.firstName}`,
    `${c.phoneticLastName} ${c.phoneticFirstName}`,
    `${c.phoneticLastName}${c.phoneticFirstName}`,
    c.nickName,
    ...c.organizations.flatMap((o) => [o.name, o.department, o.title]),
    ...c.emails.map((e) => e.email),
  ];
  const phonetic = `${c.phoneticLastName}${c.phoneticFirstName}`.trim();
  const name = `${c.lastName}${c.firstName}`.trim() || c.nickName;
  return {
    searchText: foldForSearch(fields.filter((f) => f.trim()).join("\n")),
    searchDigits: c.telephones.map((t) => digitsOf(t.telephone)).join(" "),
    // Sorted by reading when there is one (as Japanese address books do), else by the name itself.
    sortName: foldForSearch(phonetic || name),
  };
}

/** Escapes LIKE wildcards so a user's "%" or "_" is matched literally. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
