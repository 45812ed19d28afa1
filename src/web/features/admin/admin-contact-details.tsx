import { useId } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import type { Contact } from "../../../shared/contacts.ts";
import { useAdminContact } from "../../api/admin-contacts.ts";
import { isProblem } from "../../api/client.ts";
import { useTeams } from "../../api/contacts.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { isContactId, MissingContact } from "../contacts/contact-details.tsx";
import { companyOf, contactDisplayName } from "../contacts/contact-name.ts";
import { LineBadge } from "../rooms/line-badge.tsx";
import { useAdminContactListState } from "./admin-contact-list.tsx";
import { ContactHistory } from "./contact-history.tsx";
import { ContactOwnerForm } from "./contact-owner-form.tsx";
import { ContactPrivacyForm } from "./contact-privacy-form.tsx";
import { formatDateTime } from "./date-time.ts";
import { useMemberNames } from "./member-names.ts";

/** `/admin/contacts/:contactId`: beside the list on PC, its own view on phones. Keyed so nothing carries over. */
export function AdminContactDetails() {
  const { contactId = "" } = useParams();
  if (!isContactId(contactId)) return <MissingContact back={<BackLink />} />;
  return <DetailsScreen key={contactId} contactId={contactId} />;
}

function DetailsScreen({ contactId }: { contactId: string }) {
  const contact = useAdminContact(contactId);
  if (contact.isPending) return <Loading />;
  if (isProblem(contact.error, "not_found")) return <MissingContact back={<BackLink />} />;
  if (contact.isError) {
    return (
      <div className="contact-pane">
        <BackLink />
        <LoadError error={contact.error} onRetry={() => void contact.refetch()} />
      </div>
    );
  }
  return <Details contact={contact.data} />;
}

function BackLink() {
  const { t } = useTranslation();
  const { search } = useAdminContactListState();
  return (
    <Link to={`/admin/contacts${search ? `?${search}` : ""}`} className="button button-quiet mobile-only contact-back">
      ← {t("adminContacts.backToList")}
    </Link>
  );
}

function Details({ contact }: { contact: Contact }) {
  const { t, i18n } = useTranslation();
  const titleId = useId();
  const nameOf = useMemberNames();
  const teams = useTeams();
  const language = i18n.resolvedLanguage ?? "en";
  const name = contactDisplayName(contact) || t("adminContacts.noName");
  const company = companyOf(contact);
  const { ownerId, accessibleRange, accessibleMembers, isCoEditing } = contact.permission;
  const teamName = (id: string) => teams.data?.find((team) => team.id === id)?.name ?? "…";
  const sharedWith = accessibleMembers.map((a) => (a.type === "MEMBER" ? nameOf(a.id) : teamName(a.id)));

  return (
    <section className="contact-pane card admin-contact-pane" aria-labelledby={titleId}>
      <BackLink />
      <header className="contact-title">
        <h2 id={titleId}>{name}</h2>
        {contact.linkedLineUser && (
          <p className="contact-nickname">
            <span>{contact.linkedLineUser.displayName ?? contact.contactName.nickName}</span> <LineBadge />
          </p>
        )}
        {company && <p className="hint">{company}</p>}
      </header>
      <dl className="contact-fields">
        <div className="contact-field">
          <dt>{t("adminContacts.owner")}</dt>
          <dd>{ownerId ? nameOf(ownerId) : <span className="admin-no-owner">{t("adminContacts.noOwner")}</span>}</dd>
        </div>
        <div className="contact-field">
          <dt>{t("adminContacts.privacy")}</dt>
          <dd>
            {accessibleRange === "ALL"
              ? t("adminContacts.privacyAllLong")
              : sharedWith.length
                ? t("adminContacts.sharedWith", { names: sharedWith.join(", ") })
                : t("adminContacts.ownerOnly")}
          </dd>
        </div>
        <div className="contact-field">
          <dt>{t("adminContacts.coEditingLabel")}</dt>
          <dd>{isCoEditing ? t("adminContacts.coEditingOn") : t("adminContacts.coEditingOff")}</dd>
        </div>
        <div className="contact-field">
          <dt>{t("adminContacts.created")}</dt>
          <dd>{formatDateTime(contact.createdAt, language)}</dd>
        </div>
        <div className="contact-field">
          <dt>{t("adminContacts.updated")}</dt>
          <dd>{formatDateTime(contact.updatedAt, language)}</dd>
        </div>
        {contact.deletedAt && (
          <div className="contact-field">
            <dt>{t("adminContacts.inTrash")}</dt>
            <dd>
              {contact.deletedBy
                ? t("adminContacts.deletedBy", { date: formatDateTime(contact.deletedAt, language), name: nameOf(contact.deletedBy) })
                : formatDateTime(contact.deletedAt, language)}
            </dd>
          </div>
        )}
      </dl>
      {contact.deletedAt ? (
        <p className="hint admin-trash-note">{t("adminContacts.trashNote")}</p>
      ) : (
        <>
          {/* Keyed by version: after a save (here or anywhere) the forms start again from the saved contact. */}
          <ContactOwnerForm key={`owner-${contact.version}`} contact={contact} />
          <ContactPrivacyForm key={`privacy-${contact.version}`} contact={contact} />
        </>
      )}
      <ContactHistory contactId={contact.contactId} />
    </section>
  );
}
