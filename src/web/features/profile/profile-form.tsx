import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { UpdateMemberBody, type Member } from "../../../shared/directory.ts";
import { fieldErrorOf } from "../../../shared/problems.ts";
import { isProblem } from "../../api/client.ts";
import { useUpdateProfile, type ProfileChanges } from "../../api/directory.ts";
import { problemText } from "../../components/states.tsx";
import { fieldProblemSentence } from "../../i18n/problem-text.ts";
import { useToast } from "../../components/toast.tsx";

type Field = "displayName" | "phone" | "department";
const FIELDS: { name: Field; label: string; autoComplete: string; type: string }[] = [
  { name: "displayName", label: "profile.displayName", autoComplete: "name", type: "text" },
  { name: "phone", label: "profile.phone", autoComplete: "tel", type: "tel" },
  { name: "department", label: "profile.department", autoComplete: "organization-title", type: "text" },
];

/** Sends only the fields that changed; an emptied phone or department is cleared (null). */
function changesOf(member: Member, values: Record<Field, string>): ProfileChanges {
  const changes: ProfileChanges = {};
  if (values.displayName.trim() !== member.displayName) changes.displayName = values.displayName;
  for (const f of ["phone", "department"] as const) {
    const v = values[f].trim();
    if (v !== (member[f] ?? "")) changes[f] = v === "" ? null : v;
  }
  return changes;
}

export function ProfileForm({ member }: { member: Member }) {
  const { t } = useTranslation();
  const toast = useToast();
  const update = useUpdateProfile(() => toast(t("profile.profileSaved")));
  const [values, setValues] = useState<Record<Field, string>>({
    displayName: member.displayName,
    phone: member.phone ?? "",
    department: member.department ?? "",
  });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    setFieldErrors({});
    setFormError(null);
    const changes = changesOf(member, values);
    if (Object.keys(changes).length === 0) return setFormError(t("profile.noChanges"));
    // The same schema the server validates with, so most mistakes show before a round trip.
    const checked = UpdateMemberBody.safeParse(changes);
    if (!checked.success) {
      const errors: Partial<Record<Field, string>> = {};
      for (const issue of checked.error.issues) errors[issue.path[0] as Field] ??= fieldProblemSentence(fieldErrorOf(issue));
      return setFieldErrors(errors);
    }
    update.mutate(
      { id: member.id, changes: checked.data },
      {
        onError: (err) => {
          if (isProblem(err, "validation_failed") && err.problem.errors?.length) {
            const errors: Partial<Record<Field, string>> = {};
            for (const fe of err.problem.errors) errors[fe.path as Field] ??= fieldProblemSentence(fe);
            setFieldErrors(errors);
          } else {
            setFormError(problemText(err));
          }
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="details-title">
      <h2 id="details-title">{t("profile.details")}</h2>
      <form onSubmit={submit} className="stack">
        {FIELDS.map((f) => (
          <label className="field" key={f.name}>
            <span>{t(f.label)}</span>
            <input
              name={f.name}
              type={f.type}
              autoComplete={f.autoComplete}
              value={values[f.name]}
              required={f.name === "displayName"}
              onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
              aria-invalid={fieldErrors[f.name] ? true : undefined}
              aria-describedby={fieldErrors[f.name] ? `profile-${f.name}-error` : undefined}
            />
            {fieldErrors[f.name] && (
              <span className="inline-problem" id={`profile-${f.name}-error`} role="alert">
                {fieldErrors[f.name]}
              </span>
            )}
          </label>
        ))}
        {formError && (
          <p className="inline-problem" role="alert">
            {formError}
          </p>
        )}
        <button type="submit" className="button button-primary" disabled={update.isPending} aria-busy={update.isPending}>
          {update.isPending ? t("common.saving") : t("profile.saveProfile")}
        </button>
      </form>
    </section>
  );
}
