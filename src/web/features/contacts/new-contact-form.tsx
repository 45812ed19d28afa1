import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { useCreateContact } from "../../api/contacts.ts";
import { useToast } from "../../components/toast.tsx";
import { ContactFieldInputs, EMPTY_DRAFT, FormProblem, isReachable, useContactDraft } from "./contact-form.tsx";

/**
 * Add External Contacts → "Enter manually": a client or partner who is not on LINE. It needs an
 * e-mail or a phone; the new contact opens once saved, where a photo and sharing can be set.
 */
export function NewContactForm() {
  const { t } = useTranslation();
  const toast = useToast();
  const navigate = useNavigate();
  const create = useCreateContact();
  const draft = useContactDraft(EMPTY_DRAFT);
  const [unreachableTries, setUnreachableTries] = useState(0);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const fields = draft.toFields(false);
    const reachable = isReachable(fields);
    setUnreachableTries((n) => (reachable ? 0 : n + 1));
    if (!reachable) return;
    create.mutateAsync(fields).then(
      (contact) => {
        toast(t("contactsInterop.created"));
        navigate(`/contacts/${contact.contactId}`);
      },
      // A refusal shows through create.error below.
      () => {},
    );
  };

  return (
    <form className="contact-form card stack" onSubmit={submit} aria-labelledby="new-contact-title">
      <h2 id="new-contact-title">{t("contactsInterop.manualTitle")}</h2>
      <p className="hint">{t("contactsInterop.manualIntro")}</p>
      <ContactFieldInputs draft={draft} unreachableTries={unreachableTries} />
      <FormProblem error={create.error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={() => navigate("/contacts")}>
          {t("contacts.cancel")}
        </button>
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? t("common.saving") : t("contactsInterop.create")}
        </button>
      </div>
    </form>
  );
}
