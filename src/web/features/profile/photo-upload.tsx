import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Member } from "../../../shared/directory.ts";
import { useUploadPhoto } from "../../api/directory.ts";
import { Avatar } from "../../components/avatar.tsx";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

// Mirrors the server's limits (PHOTO_MAX_BYTES, sniffed JPG/PNG/GIF) so a wrong file is caught
// before uploading 10 MB; the server still decides, and its problem is shown if it disagrees.
const MAX_BYTES = 10 * 1024 * 1024;
const TYPES = ["image/jpeg", "image/png", "image/gif"];

export function PhotoUpload({ member }: { member: Member }) {
  const { t } = useTranslation();
  const toast = useToast();
  const upload = useUploadPhoto(() => toast(t("profile.photoSaved")));
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);

  useEffect(() => {
    if (!file) return setPreview(null);
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  function choose(e: ChangeEvent<HTMLInputElement>) {
    upload.reset();
    const chosen = e.target.files?.[0] ?? null;
    setFile(null);
    setFileError(null);
    if (!chosen) return;
    if (!TYPES.includes(chosen.type)) return setFileError(t("profile.photoWrongType"));
    if (chosen.size >= MAX_BYTES) return setFileError(t("profile.photoTooLarge"));
    setFile(chosen);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    upload.mutate(
      { id: member.id, file },
      {
        onSuccess: () => {
          setFile(null);
          if (input.current) input.current.value = "";
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="photo-title">
      <h2 id="photo-title">{t("profile.photo")}</h2>
      <form onSubmit={submit} className="photo-form">
        {preview ? (
          <img className="avatar" src={preview} alt={t("profile.preview")} width={96} height={96} />
        ) : (
          <Avatar name={member.displayName} photoUrl={member.photoUrl} size={96} />
        )}
        <div className="photo-controls">
          <label htmlFor={inputId} className="field-label">
            {t("profile.choosePhoto")}
          </label>
          <input id={inputId} ref={input} type="file" accept={TYPES.join(",")} onChange={choose} aria-describedby={`${inputId}-help`} />
          <p className="hint" id={`${inputId}-help`}>
            {t("profile.photoHelp")}
          </p>
          {fileError && (
            <p className="inline-problem" role="alert">
              {fileError}
            </p>
          )}
          <InlineProblem error={upload.error} />
          <button type="submit" className="button button-primary" disabled={!file || upload.isPending} aria-busy={upload.isPending}>
            {upload.isPending ? t("profile.uploading") : t("profile.uploadPhoto")}
          </button>
        </div>
      </form>
    </section>
  );
}
