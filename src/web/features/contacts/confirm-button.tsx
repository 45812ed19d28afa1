import { useId, useRef, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { isProblem } from "../../api/client.ts";
import { InlineProblem } from "../../components/states.tsx";

interface Props {
  label: ReactNode;
  title: string;
  body: string;
  confirmLabel: string;
  pending: boolean;
  error: unknown;
  /** Runs the action; resolve `true` to close the dialog (it stays open to show a refusal). */
  onConfirm: () => Promise<boolean>;
  /** Clears the previous attempt's outcome (a mutation's `reset`), so a reopened dialog starts fresh. */
  onOpen: () => void;
  className?: string;
}

/** A destructive action behind a native modal <dialog>: it traps focus and closes on Escape. */
export function ConfirmButton({ label, title, body, confirmLabel, pending, error, onConfirm, onOpen, className = "button" }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const confirm = async () => {
    if (await onConfirm()) dialog.current?.close();
  };
  // A refusal (403/409: "chatting with 김민준", read-only) holds until something changes
  // elsewhere, so pressing again would only repeat it; other failures (network, 503) may pass.
  const refused = isProblem(error) && (error.status === 403 || error.status === 409);
  const open = () => {
    onOpen();
    dialog.current?.showModal();
  };
  return (
    <>
      <button type="button" className={className} onClick={open}>
        {label}
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby={titleId} aria-describedby={bodyId}>
        <h2 id={titleId}>{title}</h2>
        <p id={bodyId}>{body}</p>
        <InlineProblem error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()}>
            {t("contacts.cancel")}
          </button>
          <button
            type="button"
            className="button button-danger"
            disabled={pending || refused}
            aria-busy={pending || undefined}
            onClick={() => void confirm()}
          >
            {pending ? t("common.working") : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
