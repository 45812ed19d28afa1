import type { ContactFields } from "../../shared/contacts.ts";
import { Problem } from "../http/problem.ts";
import type { ContactRow, ContactWrite } from "./repository.ts";
import { searchColumns } from "./search-text.ts";

/** Every editable field with its current value: what a PATCH is merged into. */
export interface EditableContact {
  contactName: { lastName: string; firstName: string; phoneticLastName: string; phoneticFirstName: string; nickName: string };
  emails: ContactRow["emails"];
  telephones: ContactRow["telephones"];
  organizations: ContactRow["organizations"];
  addresses: ContactRow["addresses"];
  websites: ContactRow["websites"];
  memo: string;
}

export const EMPTY_CONTACT: EditableContact = {
  contactName: { lastName: "", firstName: "", phoneticLastName: "", phoneticFirstName: "", nickName: "" },
  emails: [],
  telephones: [],
  organizations: [],
  addresses: [],
  websites: [],
  memo: "",
};

export function editableOf(r: ContactRow): EditableContact {
  return {
    contactName: {
      lastName: r.last_name,
      firstName: r.first_name,
      phoneticLastName: r.phonetic_last_name,
      phoneticFirstName: r.phonetic_first_name,
      nickName: r.nick_name,
    },
    emails: r.emails,
    telephones: r.telephones,
    organizations: r.organizations,
    addresses: r.addresses,
    websites: r.websites,
    memo: r.memo,
  };
}

export function mergeFields(base: EditableContact, patch: ContactFields): EditableContact {
  return {
    contactName: { ...base.contactName, ...stripUndefined(patch.contactName ?? {}) },
    emails: patch.emails ?? base.emails,
    telephones: patch.telephones ?? base.telephones,
    organizations: patch.organizations ?? base.organizations,
    addresses: patch.addresses ?? base.addresses,
    websites: patch.websites ?? base.websites,
    memo: patch.memo ?? base.memo,
  };
}

/** JSON with object keys sorted: jsonb reorders keys, so a stored list and the same list sent back compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The fields whose value differs: what an edit audits. A form sends every field back, so the
 * fields named in a PATCH are not the fields that changed.
 */
export function changedFields(before: EditableContact, after: EditableContact): (keyof EditableContact)[] {
  return (Object.keys(before) as (keyof EditableContact)[]).filter((k) => canonical(before[k]) !== canonical(after[k]));
}

const stripUndefined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** A contact of LINE user keeps the nickname and photo LINE gives it (DESIGN §2.6). */
export function assertUnlocked(isLine: boolean, current: EditableContact, patch: ContactFields) {
  if (!isLine) return;
  const nick = patch.contactName?.nickName;
  if (nick !== undefined && nick !== current.contactName.nickName) throw fieldLocked("contactName.nickName");
  if (patch.photo !== undefined) throw fieldLocked("photo");
}

export const fieldLocked = (field: string) =>
  new Problem(422, "field_locked", "This field follows the LINE profile", `${field} of a LINE contact is synced from LINE and cannot be edited.`, {
    field,
    params: { field },
  });

/** A contact someone typed in must be reachable: an e-mail or a phone. */
export function assertReachable(c: EditableContact) {
  if (c.emails.length === 0 && c.telephones.length === 0) {
    throw new Problem(400, "validation_failed", "The request is not valid", "A contact needs an e-mail address or a phone number.", {
      errors: [{ path: "emails", message: "add an e-mail address or a phone number", code: "contact_unreachable" }],
    });
  }
}

/**
 * A card being imported must say who it is: a name, a nickname, an e-mail or a phone. Less than
 * assertReachable, because a LINE contact (exported from here) has a name and no phone or e-mail.
 */
export function assertIdentifiable(c: EditableContact) {
  const { lastName, firstName, nickName } = c.contactName;
  if (lastName || firstName || nickName || c.emails.length || c.telephones.length) return;
  throw new Problem(400, "validation_failed", "The request is not valid", "The card has no name, phone or e-mail.", {
    errors: [{ path: "(card)", message: "the card has no name, phone or e-mail", code: "contact_empty" }],
  });
}

export function toWrite(c: EditableContact): ContactWrite {
  const s = searchColumns({ ...c.contactName, organizations: c.organizations, emails: c.emails, telephones: c.telephones });
  return {
    last_name: c.contactName.lastName,
    first_name: c.contactName.firstName,
    phonetic_last_name: c.contactName.phoneticLastName,
    phonetic_first_name: c.contactName.phoneticFirstName,
    nick_name: c.contactName.nickName,
    emails: c.emails,
    telephones: c.telephones,
    organizations: c.organizations,
    addresses: c.addresses,
    websites: c.websites,
    memo: c.memo,
    search_text: s.searchText,
    search_digits: s.searchDigits,
    sort_name: s.sortName,
  };
}
