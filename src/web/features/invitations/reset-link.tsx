import { useRef } from "react";
import { useTranslation } from "react-i18next";
import type { Locale } from "../../../shared/invitations.ts";
import { useResetInvitation } from "../../api/invitations.ts";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

/** Reset behind a confirmation: a native modal <dialog> traps focus and closes on Escape. */
export function ResetLink({ locale }: { locale: Locale }) {
  const { t } = useTranslation();
  const toast = useToast();
  const dialog = useRef<HTMLDialogElement>(null);
  const reset = useResetInvitation(locale);
  const confirm = () =>
    reset.mutate(undefined, {
      onSuccess: () => {
        dialog.current?.close();
        toast(t("invitations.resetDone"));
      },
    });
  return (
    <>
      <p className="hint">{t("invitations.resetHelp")}</p>
      <button type="button" className="button" onClick={() => dialog.current?.showModal()}>
        {t("invitations.resetButton")}
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby="reset-title" aria-describedby="reset-body">
        <h2 id="reset-title">{t("invitations.resetConfirmTitle")}</h2>
        <p id="reset-body">{t("invitations.resetConfirmBody")}</p>
        <InlineProblem error={reset.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()}>
            {t("invitations.cancel")}
          </button>
          <button type="button" className="button button-danger" disabled={reset.isPending} onClick={confirm}>
            {t("invitations.resetConfirm")}
          </button>
        </div>
      </dialog>
    </>
  );
}
