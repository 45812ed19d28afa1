import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { EmailSchema } from "../../../shared/directory.ts";
import type { Locale } from "../../../shared/invitations.ts";
import { useSendInvitationEmail } from "../../api/invitations.ts";
import { InlineProblem } from "../../components/states.tsx";

const MAX_ADDRESSES = 10;

/** Addresses as people paste them: separated by commas, semicolons, spaces or new lines. */
export function splitAddresses(raw: string): string[] {
  return raw
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * "Send Email": checked here first so mistakes show before anything is sent, then by the server.
 * The e-mail speaks the panel's language, the one its text and card are shown in.
 */
export function EmailInvitationForm({ locale }: { locale: Locale }) {
  const { t } = useTranslation();
  const ids = { to: useId(), help: useId(), error: useId(), note: useId() };
  const [to, setTo] = useState("");
  const [note, setNote] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const [queued, setQueued] = useState<number | null>(null);
  const send = useSendInvitationEmail();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQueued(null);
    const addresses = splitAddresses(to);
    const wrong = addresses.filter((a) => !EmailSchema.safeParse(a).success);
    if (addresses.length === 0) return setInvalid(t("invitations.emailMissing"));
    if (addresses.length > MAX_ADDRESSES) return setInvalid(t("invitations.emailTooMany"));
    if (wrong.length) return setInvalid(t("invitations.emailInvalid", { list: wrong.join(", ") }));
    setInvalid(null);
    send.mutate(
      { to: addresses, locale, ...(note.trim() ? { note: note.trim() } : {}) },
      {
        onSuccess: (result) => {
          setQueued(result.queued);
          setTo("");
          setNote("");
        },
      },
    );
  };

  return (
    <form className="stack" onSubmit={submit} noValidate>
      <label className="field" htmlFor={ids.to}>
        <span>{t("invitations.emailTo")}</span>
        <textarea
          id={ids.to}
          rows={2}
          value={to}
          onChange={(e) => setTo(e.target.value)}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={`${ids.help}${invalid ? ` ${ids.error}` : ""}`}
        />
        <span className="hint" id={ids.help}>
          {t("invitations.emailToHelp")}
        </span>
      </label>
      {invalid && (
        <p className="inline-problem" role="alert" id={ids.error}>
          {invalid}
        </p>
      )}
      <label className="field" htmlFor={ids.note}>
        <span>{t("invitations.emailNote")}</span>
        <textarea id={ids.note} rows={2} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <button type="submit" className="button button-primary" disabled={send.isPending}>
        {send.isPending ? t("invitations.emailSending") : t("invitations.emailSend")}
      </button>
      <InlineProblem error={send.error} />
      {queued !== null && (
        <p className="success" role="status">
          {t("invitations.emailQueued", { count: queued })}
        </p>
      )}
    </form>
  );
}
