import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import type { Contact, ContactFields } from "../../../shared/contacts.ts";
import { isProblem } from "../../api/client.ts";
import { useUpdateContact } from "../../api/contacts.ts";
import { Avatar } from "../../components/avatar.tsx";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { fieldProblemSentence } from "../../i18n/problem-text.ts";
import { LineBadge } from "../rooms/line-badge.tsx";
import { contactDisplayName } from "./contact-name.ts";
import { ContactPhotoUpload } from "./contact-photo.tsx";

type Phone = Contact["telephones"][number];
type Email = Contact["emails"][number];
const PHONE_TYPES: Phone["type"][] = ["MOBILE", "WORK", "HOME", "FAX", "OTHER"];
const EMAIL_TYPES: Email["type"][] = ["WORK", "HOME", "OTHER"];

const splitTags = (text: string) => [...new Set(text.split(/[,、]/).map((s) => s.trim()).filter(Boolean))];

/** What a form starts from: an existing contact, or EMPTY_DRAFT for one being added by hand. */
export type DraftSource = Pick<Contact, "contactName" | "telephones" | "emails" | "organizations" | "addresses" | "websites" | "memo" | "tags">;

export const EMPTY_DRAFT: DraftSource = {
  contactName: { lastName: "", firstName: "", phoneticLastName: "", phoneticFirstName: "", nickName: "" },
  telephones: [],
  emails: [],
  organizations: [],
  addresses: [],
  websites: [],
  memo: "",
  tags: { company: [], mine: [] },
};

/**
 * The form's state. It edits the first organization, address and website; any further ones
 * (from an import or the API) are kept as they are.
 */
export function useContactDraft(source: DraftSource) {
  const [name, setName] = useState(source.contactName);
  const [phones, setPhones] = useState<Phone[]>(source.telephones);
  const [emails, setEmails] = useState<Email[]>(source.emails);
  const [org, setOrg] = useState(source.organizations[0] ?? { name: "", department: "", title: "" });
  const [address, setAddress] = useState(
    source.addresses[0] ?? { type: "WORK" as const, country: "", postalCode: "", region: "", locality: "", street: "", primary: false },
  );
  const [website, setWebsite] = useState(source.websites[0]?.url ?? "");
  const [memo, setMemo] = useState(source.memo);
  const [companyTags, setCompanyTags] = useState(source.tags.company.join(", "));
  const [myTags, setMyTags] = useState(source.tags.mine.join(", "));

  /** The fields to send; `keepNickname` leaves a LINE contact's synced nickname out. */
  function toFields(keepNickname: boolean): ContactFields {
    const { nickName, ...names } = name;
    const hasOrg = org.name || org.department || org.title;
    const hasAddress = address.country || address.postalCode || address.region || address.locality || address.street;
    return {
      contactName: keepNickname ? names : { ...names, nickName },
      telephones: phones.filter((p) => p.telephone.trim()),
      emails: emails.filter((m) => m.email.trim()),
      organizations: [...(hasOrg ? [org] : []), ...source.organizations.slice(1)],
      addresses: [...(hasAddress ? [address] : []), ...source.addresses.slice(1)],
      websites: [...(website.trim() ? [{ type: source.websites[0]?.type ?? "WORK", url: website.trim() }] : []), ...source.websites.slice(1)],
      memo,
      tags: { company: splitTags(companyTags), mine: splitTags(myTags) },
    };
  }

  return {
    name,
    setName,
    phones,
    setPhones,
    emails,
    setEmails,
    org,
    setOrg,
    address,
    setAddress,
    website,
    setWebsite,
    memo,
    setMemo,
    companyTags,
    setCompanyTags,
    myTags,
    setMyTags,
    toFields,
  };
}
export type ContactDraft = ReturnType<typeof useContactDraft>;

/** A contact typed in by hand must be reachable (the server says the same, in English only). */
export const isReachable = (fields: ContactFields) => (fields.telephones?.length ?? 0) + (fields.emails?.length ?? 0) > 0;

/**
 * Edits a contact as of `contact.version` (sent as If-Match). A LINE contact's nickname and
 * photo follow the LINE profile, so they are shown but cannot be changed here.
 */
export function ContactForm({ contact, onDone, onReload }: { contact: Contact; onDone: () => void; onReload: () => void }) {
  const { t } = useTranslation();
  const toast = useToast();
  const update = useUpdateContact(contact.contactId);
  const fromLine = contact.linkedLineUser !== null;
  const draft = useContactDraft(contact);
  // The version the draft was filled from. A live update refreshes `contact` while the form is
  // open; sending its newer version would silently overwrite that change instead of answering 412.
  const [baseVersion, setBaseVersion] = useState(contact.version);
  // My own photo upload is one more version; it moves the base only when nothing else came between.
  const photoSaved = (saved: Contact) => setBaseVersion((v) => (saved.version === v + 1 ? saved.version : v));
  const [unreachableTries, setUnreachableTries] = useState(0);
  const lockedId = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const fields = draft.toFields(fromLine);
    // A LINE contact is reachable on LINE; one typed in needs an e-mail or a phone.
    const reachable = fromLine || isReachable(fields);
    setUnreachableTries((n) => (reachable ? 0 : n + 1));
    if (!reachable) return;
    // mutateAsync, not mutate()'s callbacks: the saved contact re-renders this screen, and
    // callbacks given to mutate() are dropped when their component re-mounts.
    update.mutateAsync({ version: baseVersion, fields }).then(
      () => {
        toast(t("contacts.saved"));
        onDone();
      },
      // A refusal shows through update.error below.
      () => {},
    );
  };

  const conflict = isProblem(update.error, "version_conflict");
  const displayName = contactDisplayName(contact) || t("contacts.noName");
  return (
    <form className="contact-form stack" onSubmit={submit} aria-labelledby="contact-title">
      <h2 id="contact-title">{t("contacts.editTitle", { name: displayName })}</h2>

      <div className="contact-locked">
        <Avatar name={displayName} photoUrl={contact.photoUrl} size={64} />
        {fromLine ? (
          <p className="hint" id={lockedId}>
            <LineBadge /> {t("contacts.syncedFromLine")}
          </p>
        ) : (
          <ContactPhotoUpload contactId={contact.contactId} onSaved={photoSaved} />
        )}
      </div>

      <ContactFieldInputs draft={draft} nicknameLockedBy={fromLine ? lockedId : undefined} unreachableTries={unreachableTries} />

      {conflict ? (
        <div className="inline-problem" role="alert">
          <p>{t("contacts.versionConflict")}</p>
          <button type="button" className="button button-small" onClick={onReload}>
            {t("contacts.reload")}
          </button>
        </div>
      ) : (
        <FormProblem error={update.error} />
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onDone}>
          {t("contacts.cancel")}
        </button>
        <button type="submit" className="button button-primary" disabled={update.isPending}>
          {update.isPending ? t("common.saving") : t("common.save")}
        </button>
      </div>
    </form>
  );
}

/**
 * Every editable field. `nicknameLockedBy` is the id of the text saying why a LINE contact's
 * nickname is read-only. `unreachableTries` counts saves refused for want of an e-mail or a
 * phone: the reason shows between the two lists, and each refusal moves focus to "Add phone"
 * (described by it), so it is seen and heard even from the bottom of a long form.
 */
export function ContactFieldInputs({ draft, nicknameLockedBy, unreachableTries = 0 }: { draft: ContactDraft; nicknameLockedBy?: string; unreachableTries?: number }) {
  const { t } = useTranslation();
  const reachId = useId();
  const addPhone = useRef<HTMLButtonElement>(null);
  const { name, setName, phones, setPhones, emails, setEmails, org, setOrg, address, setAddress } = draft;
  const unreachable = unreachableTries > 0;
  const reachHint = unreachable ? reachId : undefined;
  useEffect(() => {
    if (unreachableTries > 0) addPhone.current?.focus();
  }, [unreachableTries]);
  return (
    <>
      <fieldset className="form-grid">
        <legend>{t("contacts.nameLegend")}</legend>
        <TextField label={t("contacts.lastName")} value={name.lastName} onChange={(v) => setName({ ...name, lastName: v })} />
        <TextField label={t("contacts.firstName")} value={name.firstName} onChange={(v) => setName({ ...name, firstName: v })} />
        <TextField label={t("contacts.phoneticLastName")} value={name.phoneticLastName} onChange={(v) => setName({ ...name, phoneticLastName: v })} />
        <TextField label={t("contacts.phoneticFirstName")} value={name.phoneticFirstName} onChange={(v) => setName({ ...name, phoneticFirstName: v })} />
        <TextField
          label={t("contacts.nickname")}
          value={name.nickName}
          onChange={(v) => setName({ ...name, nickName: v })}
          readOnly={nicknameLockedBy !== undefined}
          describedBy={nicknameLockedBy}
        />
      </fieldset>

      <fieldset className="form-list" aria-describedby={reachHint} aria-invalid={unreachable || undefined}>
        <legend>{t("contacts.phones")}</legend>
        {phones.map((p, i) => (
          <div className="form-row" key={i}>
            <select aria-label={t("contacts.phoneType", { n: i + 1 })} value={p.type} onChange={(e) => setPhones(replaceAt(phones, i, { ...p, type: e.target.value as Phone["type"] }))}>
              {PHONE_TYPES.map((type) => (
                <option key={type} value={type}>
                  {t(`contacts.type.${type}`)}
                </option>
              ))}
            </select>
            <input type="tel" aria-label={t("contacts.phoneN", { n: i + 1 })} value={p.telephone} onChange={(e) => setPhones(replaceAt(phones, i, { ...p, telephone: e.target.value }))} />
            <button type="button" className="button button-small" onClick={() => setPhones(phones.filter((_, j) => j !== i))}>
              {t("contacts.remove")}
              <span className="visually-hidden"> {t("contacts.phoneN", { n: i + 1 })}</span>
            </button>
          </div>
        ))}
        <button
          ref={addPhone}
          type="button"
          className="button button-small"
          aria-describedby={reachHint}
          onClick={() => setPhones([...phones, { type: "MOBILE", telephone: "", primary: false }])}
        >
          {t("contacts.addPhone")}
        </button>
      </fieldset>

      {unreachable && (
        <p className="inline-problem reach-problem" role="alert" id={reachId}>
          {t("contactsInterop.needReach")}
        </p>
      )}

      <fieldset className="form-list" aria-describedby={reachHint} aria-invalid={unreachable || undefined}>
        <legend>{t("contacts.emails")}</legend>
        {emails.map((m, i) => (
          <div className="form-row" key={i}>
            <select aria-label={t("contacts.emailType", { n: i + 1 })} value={m.type} onChange={(e) => setEmails(replaceAt(emails, i, { ...m, type: e.target.value as Email["type"] }))}>
              {EMAIL_TYPES.map((type) => (
                <option key={type} value={type}>
                  {t(`contacts.type.${type}`)}
                </option>
              ))}
            </select>
            <input type="email" aria-label={t("contacts.emailN", { n: i + 1 })} value={m.email} onChange={(e) => setEmails(replaceAt(emails, i, { ...m, email: e.target.value }))} />
            <button type="button" className="button button-small" onClick={() => setEmails(emails.filter((_, j) => j !== i))}>
              {t("contacts.remove")}
              <span className="visually-hidden"> {t("contacts.emailN", { n: i + 1 })}</span>
            </button>
          </div>
        ))}
        <button type="button" className="button button-small" onClick={() => setEmails([...emails, { type: "WORK", email: "", primary: false }])}>
          {t("contacts.addEmail")}
        </button>
      </fieldset>

      <fieldset className="form-grid">
        <legend>{t("contacts.work")}</legend>
        <TextField label={t("contacts.company")} value={org.name} onChange={(v) => setOrg({ ...org, name: v })} />
        <TextField label={t("contacts.department")} value={org.department} onChange={(v) => setOrg({ ...org, department: v })} />
        <TextField label={t("contacts.jobTitle")} value={org.title} onChange={(v) => setOrg({ ...org, title: v })} />
      </fieldset>

      <fieldset className="form-grid">
        <legend>{t("contacts.address")}</legend>
        <TextField label={t("contacts.postalCode")} value={address.postalCode} onChange={(v) => setAddress({ ...address, postalCode: v })} />
        <TextField label={t("contacts.region")} value={address.region} onChange={(v) => setAddress({ ...address, region: v })} />
        <TextField label={t("contacts.locality")} value={address.locality} onChange={(v) => setAddress({ ...address, locality: v })} />
        <TextField label={t("contacts.street")} value={address.street} onChange={(v) => setAddress({ ...address, street: v })} />
        <TextField label={t("contacts.country")} value={address.country} onChange={(v) => setAddress({ ...address, country: v })} />
      </fieldset>

      <TextField label={t("contacts.website")} value={draft.website} onChange={draft.setWebsite} type="url" />
      <label className="field">
        <span>{t("contacts.memo")}</span>
        <textarea rows={4} value={draft.memo} onChange={(e) => draft.setMemo(e.target.value)} />
      </label>
      <TextField label={t("contacts.companyTags")} value={draft.companyTags} onChange={draft.setCompanyTags} hint={t("contacts.tagsHint")} />
      <TextField label={t("contacts.myTags")} value={draft.myTags} onChange={draft.setMyTags} hint={t("contacts.tagsHint")} />
    </>
  );
}

/** The form's label for a field the server refused (`emails.0.email` → "E-mails"), never the raw key. */
const FIELD_LABELS: Record<string, string> = {
  lastName: "contacts.lastName",
  firstName: "contacts.firstName",
  phoneticLastName: "contacts.phoneticLastName",
  phoneticFirstName: "contacts.phoneticFirstName",
  nickName: "contacts.nickname",
  emails: "contacts.emails",
  telephones: "contacts.phones",
  organizations: "contacts.company",
  addresses: "contacts.address",
  websites: "contacts.website",
  memo: "contacts.memo",
  tags: "contacts.tags",
};

export function fieldLabel(t: TFunction, path: string): string | undefined {
  const parts = path.split(".");
  const key = parts[0] === "contactName" ? parts[1] : parts[0];
  return key && FIELD_LABELS[key] ? t(FIELD_LABELS[key]) : undefined;
}

/** What went wrong plus each field the server refused, by its label, so a bad value is named, not guessed. */
export function FormProblem({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const fields = isProblem(error) ? (error.problem.errors ?? []) : [];
  return (
    <>
      <InlineProblem error={error} />
      {fields.length > 0 && (
        <ul className="inline-problem field-errors">
          {fields.map((f, i) => {
            const label = fieldLabel(t, f.path);
            return (
              <li key={i}>
                {label ? `${label}: ` : ""}
                {fieldProblemSentence(f)}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

const replaceAt = <T,>(list: T[], index: number, item: T) => list.map((x, i) => (i === index ? item : x));

interface TextFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "url";
  readOnly?: boolean;
  describedBy?: string;
  hint?: string;
}

function TextField({ label, value, onChange, type = "text", readOnly, describedBy, hint }: TextFieldProps) {
  const hintId = useId();
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type={type}
        value={value}
        readOnly={readOnly}
        aria-readonly={readOnly || undefined}
        aria-describedby={[describedBy, hint ? hintId : undefined].filter(Boolean).join(" ") || undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint && (
        <span className="hint" id={hintId}>
          {hint}
        </span>
      )}
    </label>
  );
}
