import type { Contact } from "../../../shared/contacts.ts";

/**
 * The name a contact is listed under: family then given name (as the workplace suites show it),
 * else the nickname, else how to reach them; empty only for a contact with nothing at all.
 */
export function contactDisplayName(contact: Contact): string {
  const { lastName, firstName, nickName } = contact.contactName;
  const full = [lastName, firstName].filter(Boolean).join(" ");
  return full || nickName || contact.emails[0]?.email || contact.telephones[0]?.telephone || "";
}

export const companyOf = (contact: Contact) => contact.organizations.find((o) => o.name)?.name ?? "";
