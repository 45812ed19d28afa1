import { foldForSearch, phoneSearchDigits } from "../search/normalize.ts";

/**
 * The derived search columns of a contact, folded by the shared normalizer (src/server/search)
 * that queries go through too.
 */
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
    searchDigits: c.telephones.map((t) => phoneSearchDigits(t.telephone)).join(" "),
    // Sorted by reading when there is one (as Japanese address books do), else by the name itself.
    sortName: foldForSearch(phonetic || name),
  };
}
