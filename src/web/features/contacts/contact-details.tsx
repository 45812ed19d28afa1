import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import type { Contact } from "../../../shared/contacts.ts";
import { IdParam } from "../../../shared/directory.ts";
import { isProblem } from "../../api/client.ts";
import { useContact, useDeleteContact, vcardDownloadUrl } from "../../api/contacts.ts";
import { useMembers } from "../../api/directory.ts";
import { Avatar } from "../../components/avatar.tsx";
import { LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { LineBadge } from "../rooms/line-badge.tsx";
import { useSession } from "../session/session-context.tsx";
import { ConfirmButton } from "./confirm-button.tsx";
import { ContactForm } from "./contact-form.tsx";
import { contactDisplayName } from "./contact-name.ts";
import { ShareDialog } from "./share-dialog.tsx";

/** `/contacts/:contactId`: beside the list on PC, its own page on phones. Keyed so nothing carries over. */
export function ContactView() {
  const { contactId = "" } = useParams();
  // A mistyped or truncated address is "no such contact", not a form error about ids.
  if (!isContactId(contactId)) return <MissingContact back={<BackLink />} />;
  return <ContactScreen key={contactId} contactId={contactId} />;
}

export const isContactId = (id: string) => IdParam.shape.id.safeParse(id).success;

/** A contact that does not exist or is hidden from the member: said plainly, with the way back. */
export function MissingContact({ back }: { back: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="contact-pane">
      {back}
      <div className="load-error" role="alert">
        <h2>{t("problems.notFoundTitle")}</h2>
        <p>{t("contacts.notFound")}</p>
      </div>
    </div>
  );
}

function ContactScreen({ contactId }: { contactId: string }) {
  const contact = useContact(contactId);
  const [editing, setEditing] = useState(false);
  // Bumped after "reload" on a version conflict, so the form starts again from the fresh contact.
  const [formGeneration, setFormGeneration] = useState(0);
  const reload = async () => {
    await contact.refetch();
    setFormGeneration((n) => n + 1);
  };
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
  return (
    <section className="contact-pane card" aria-labelledby="contact-title">
      <BackLink />
      {editing ? (
        <ContactForm key={formGeneration} contact={contact.data} onDone={() => setEditing(false)} onReload={() => void reload()} />
      ) : (
        <ContactSummary contact={contact.data} onEdit={() => setEditing(true)} />
      )}
    </section>
  );
}

function BackLink() {
  const { t } = useTranslation();
  return (
    <Link to="/contacts" className="button button-quiet mobile-only contact-back">
      ← {t("contacts.back")}
    </Link>
  );
}

function ContactSummary({ contact, onEdit }: { contact: Contact; onEdit: () => void }) {
  const { t } = useTranslation();
  const { member } = useSession();
  const name = contactDisplayName(contact) || t("contacts.noName");
  const isOwner = contact.permission.ownerId === member.id;
  const org = contact.organizations[0];
  const address = contact.addresses[0];
  return (
    <>
      <header className="contact-header">
        <Avatar name={name} photoUrl={contact.photoUrl} size={72} />
        <div className="contact-title">
          <h2 id="contact-title">{name}</h2>
          {contact.contactName.nickName && (
            <p className="contact-nickname">
              <span>{contact.contactName.nickName}</span> {contact.linkedLineUser && <LineBadge />}
            </p>
          )}
          {(contact.contactName.phoneticLastName || contact.contactName.phoneticFirstName) && (
            <p className="hint">{[contact.contactName.phoneticLastName, contact.contactName.phoneticFirstName].filter(Boolean).join(" ")}</p>
          )}
        </div>
      </header>
      <div className="contact-actions">
        {contact.editable && (
          <button type="button" className="button button-primary" onClick={onEdit}>
            {t("contacts.edit")}
          </button>
        )}
        {isOwner && <ShareDialog contact={contact} />}
        {contact.editable && <DeleteContact contact={contact} name={name} />}
        <a className="button" href={vcardDownloadUrl(contact.contactId)} download>
          {t("contactsInterop.exportOne")}
        </a>
      </div>
      <dl className="contact-fields">
        {contact.telephones.length > 0 && (
          <Field label={t("contacts.phones")}>
            {contact.telephones.map((p, i) => (
              <div key={i}>
                <a href={`tel:${p.telephone}`}>{p.telephone}</a> <span className="hint">{t(`contacts.type.${p.type}`)}</span>
              </div>
            ))}
          </Field>
        )}
        {contact.emails.length > 0 && (
          <Field label={t("contacts.emails")}>
            {contact.emails.map((e, i) => (
              <div key={i}>
                <a href={`mailto:${e.email}`}>{e.email}</a> <span className="hint">{t(`contacts.type.${e.type}`)}</span>
              </div>
            ))}
          </Field>
        )}
        {org?.name && <Field label={t("contacts.company")}>{org.name}</Field>}
        {org?.department && <Field label={t("contacts.department")}>{org.department}</Field>}
        {org?.title && <Field label={t("contacts.jobTitle")}>{org.title}</Field>}
        {address && (
          <Field label={t("contacts.address")}>
            {[address.postalCode, address.region, address.locality, address.street, address.country].filter(Boolean).join(" ")}
          </Field>
        )}
        {contact.websites.length > 0 && (
          <Field label={t("contacts.website")}>
            {contact.websites.map((w, i) => (
              <div key={i}>
                {/* Only http(s) links are followable; anything else stays plain text. */}
                {/^https?:\/\//i.test(w.url) ? (
                  <a href={w.url} target="_blank" rel="noopener noreferrer">
                    {w.url}
                  </a>
                ) : (
                  w.url
                )}
              </div>
            ))}
          </Field>
        )}
        {contact.memo && (
          <Field label={t("contacts.memo")}>
            <span className="contact-memo">{contact.memo}</span>
          </Field>
        )}
        {contact.tags.company.length + contact.tags.mine.length > 0 && (
          <Field label={t("contacts.tags")}>
            <span className="tag-list">
              {[...contact.tags.company, ...contact.tags.mine].map((tag, i) => (
                <span className="tag" key={`${tag}-${i}`}>
                  {tag}
                </span>
              ))}
            </span>
          </Field>
        )}
        {contact.linkedLineUser && (
          <Field label={t("contacts.lineUser")}>
            <span className="contact-line-user">
              <span>{contact.linkedLineUser.displayName ?? t("rooms.unknownUser")}</span> <LineBadge />
              {contact.linkedLineUser.roomId && (
                <Link to={`/message/${contact.linkedLineUser.roomId}`} className="button button-small">
                  {t("contacts.openRoom")}
                </Link>
              )}
            </span>
          </Field>
        )}
        <SharingSummary contact={contact} />
      </dl>
    </>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="contact-field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function SharingSummary({ contact }: { contact: Contact }) {
  const { t } = useTranslation();
  const members = useMembers();
  const { ownerId, accessibleRange, accessibleMembers, isCoEditing } = contact.permission;
  const owner = members.data?.find((m) => m.id === ownerId)?.displayName ?? (ownerId ? "…" : t("contacts.noOwner"));
  const memberCount = accessibleMembers.filter((a) => a.type === "MEMBER").length;
  const teamCount = accessibleMembers.length - memberCount;
  return (
    <>
      <Field label={t("contacts.owner")}>{owner}</Field>
      <Field label={t("contacts.sharing")}>
        {accessibleRange === "ALL"
          ? t("contacts.sharedAll")
          : accessibleMembers.length === 0
            ? t("contacts.sharedOwnerOnly")
            : t("contacts.sharedMembers", { members: memberCount, teams: teamCount })}
        {" · "}
        {isCoEditing ? t("contacts.coEditingOn") : t("contacts.coEditingOff")}
      </Field>
    </>
  );
}

function DeleteContact({ contact, name }: { contact: Contact; name: string }) {
  const { t } = useTranslation();
  const toast = useToast();
  const navigate = useNavigate();
  const remove = useDeleteContact();
  return (
    <ConfirmButton
      label={t("contacts.delete")}
      title={t("contacts.deleteTitle", { name })}
      body={t("contacts.deleteBody")}
      confirmLabel={t("contacts.deleteConfirm")}
      pending={remove.isPending}
      error={remove.error}
      onOpen={remove.reset}
      onConfirm={async () => {
        try {
          await remove.mutateAsync(contact.contactId);
        } catch {
          return false;
        }
        toast(t("contacts.deleted"));
        navigate("/contacts");
        return true;
      }}
    />
  );
}
