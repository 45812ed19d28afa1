import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Contact } from "../../../shared/contacts.ts";
import { useChangeOwner } from "../../api/admin-contacts.ts";
import { useMembers } from "../../api/directory.ts";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

/**
 * Hands the contact to another member of the company, e.g. after its owner left. The server keeps
 * the previous owner as a chosen member, so nobody loses sight of it by this change.
 */
export function ContactOwnerForm({ contact }: { contact: Contact }) {
  const { t } = useTranslation();
  const toast = useToast();
  const selectId = useId();
  const titleId = useId();
  const members = useMembers();
  const change = useChangeOwner(contact.contactId);
  const current = contact.permission.ownerId ?? "";
  const [ownerId, setOwnerId] = useState(current);

  function submit(e: FormEvent) {
    e.preventDefault();
    const name = members.data?.find((m) => m.id === ownerId)?.displayName ?? "";
    change.mutateAsync(ownerId).then(
      () => toast(t("adminContacts.ownerChanged", { name })),
      // The error is shown beside the form from the mutation's state.
      () => {},
    );
  }

  return (
    <form className="admin-contact-form" aria-labelledby={titleId} onSubmit={submit}>
      <h3 id={titleId}>{t("adminContacts.ownerTitle")}</h3>
      {members.isPending ? (
        <Loading />
      ) : members.isError ? (
        <LoadError error={members.error} onRetry={() => void members.refetch()} />
      ) : (
        <>
          <label className="field" htmlFor={selectId}>
            <span>{t("adminContacts.newOwner")}</span>
            <select id={selectId} value={ownerId} onChange={(e) => setOwnerId(e.target.value)}>
              {!current && (
                <option value="" disabled>
                  {t("adminContacts.chooseMember")}
                </option>
              )}
              {members.data.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.department ? `${m.displayName} (${m.department})` : m.displayName}
                </option>
              ))}
            </select>
          </label>
          <p className="hint">{t("adminContacts.ownerHelp")}</p>
          <InlineProblem error={change.error} />
          <button type="submit" className="button button-primary" disabled={!ownerId || ownerId === current || change.isPending} aria-busy={change.isPending}>
            {change.isPending ? t("common.saving") : t("adminContacts.changeOwner")}
          </button>
        </>
      )}
    </form>
  );
}
