import { contactLabel, type Contact } from "../../../shared/contacts.ts";

/** The name a contact is listed under (src/shared/contacts.ts: the same as its vCard's FN and file name). */
export function contactDisplayName(contact: Contact): string {
  return contactLabel({ ...contact.contactName, emails: contact.emails, telephones: contact.telephones });
}

export const companyOf = (contact: Contact) => contact.organizations.find((o) => o.name)?.name ?? "";
