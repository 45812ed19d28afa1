import { useId, useRef, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
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
  className?: string;
}

/** A destructive action behind a native modal <dialog>: it traps focus and closes on Escape. */
export function ConfirmButton({ label, title, body, confirmLabel, pending, error, onConfirm, className = "button" }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const confirm = async () => {
    if (await onConfirm()) dialog.current?.close();
  };
  return (
    <>
      <button type="button" className={className} onClick={() => dialog.current?.showModal()}>
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
          <button type="button" className="button button-danger" disabled={pending} onClick={() => void confirm()}>
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
