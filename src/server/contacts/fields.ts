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
