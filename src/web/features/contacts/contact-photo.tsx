import { useId, useState, type ChangeEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Contact } from "../../../shared/contacts.ts";
import { useUploadContactPhoto } from "../../api/contacts.ts";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

// The server's limits (JPG/PNG/GIF, < 10 MB), checked first so a wrong file fails before uploading;
// the server still decides and its problem is shown if it disagrees.
const MAX_BYTES = 10 * 1024 * 1024;
const TYPES = ["image/jpeg", "image/png", "image/gif"];

/** Uploads as soon as a file is chosen; the saved contact (new photo, new version) replaces the shown one. */
export function ContactPhotoUpload({ contactId, onSaved }: { contactId: string; onSaved?: (contact: Contact) => void }) {
  const { t } = useTranslation();
  const toast = useToast();
  const upload = useUploadContactPhoto(contactId);
  const inputId = useId();
  const hintId = useId();
  const [fileError, setFileError] = useState<string | null>(null);

  function choose(e: ChangeEvent<HTMLInputElement>) {
    upload.reset();
    setFileError(null);
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    if (!TYPES.includes(file.type)) return setFileError(t("profile.photoWrongType"));
    if (file.size >= MAX_BYTES) return setFileError(t("profile.photoTooLarge"));
    upload.mutateAsync(file).then(
      (saved) => {
        toast(t("profile.photoSaved"));
        onSaved?.(saved);
      },
      // The refusal shows through upload.error below.
      () => {},
    );
  }

  return (
    <div className="photo-controls">
      <label htmlFor={inputId} className="field-label">
        {upload.isPending ? t("profile.uploading") : t("profile.choosePhoto")}
      </label>
      <input id={inputId} type="file" accept={TYPES.join(",")} aria-describedby={hintId} disabled={upload.isPending} onChange={choose} />
      <span className="hint" id={hintId}>
        {t("profile.photoHelp")}
      </span>
      {fileError && (
        <p className="inline-problem" role="alert">
          {fileError}
        </p>
      )}
      <InlineProblem error={upload.error} />
    </div>
  );
}
