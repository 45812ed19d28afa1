import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useToast } from "../../components/toast.tsx";

/** Copies `text` to the clipboard; says "Copied", or why not (browsers may refuse clipboard access). */
export function CopyButton({ text, label, primary }: { text: string; label: string; primary?: boolean }) {
  const { t } = useTranslation();
  const toast = useToast();
  const [failed, setFailed] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setFailed(false);
      toast(t("invitations.copied"));
    } catch {
      setFailed(true);
    }
  };
  return (
    <>
      <button type="button" className={`button ${primary ? "button-primary" : ""}`} onClick={() => void copy()}>
        {label}
      </button>
      {failed && (
        <p className="inline-problem" role="alert">
          {t("invitations.copyFailed")}
        </p>
      )}
    </>
  );
}
