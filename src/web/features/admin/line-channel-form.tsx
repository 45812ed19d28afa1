import { useId, useState, type FormEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { z } from "zod";
import { CreateLineChannelBody, UpdateLineChannelBody, type LineChannel } from "../../../shared/line.ts";
import { fieldErrorOf } from "../../../shared/problems.ts";
import { isProblem } from "../../api/client.ts";
import { useMembers } from "../../api/directory.ts";
import { useCreateLineChannel, useUpdateLineChannel, type LineChannelChanges, type NewLineChannel } from "../../api/line-admin.ts";
import { problemText } from "../../components/states.tsx";
import { fieldProblemSentence } from "../../i18n/problem-text.ts";

type Field =
  | "channelId"
  | "channelSecret"
  | "channelAccessToken"
  | "loginChannelId"
  | "loginChannelSecret"
  | "basicId"
  | "botName"
  | "mode"
  | "dedicatedMemberId";
type FieldErrors = Partial<Record<Field, string>>;
type TokenSource = LineChannel["tokenSource"];

interface Values {
  channelId: string;
  channelSecret: string;
  channelAccessToken: string;
  tokenSource: TokenSource;
  loginChannelId: string;
  loginChannelSecret: string;
  basicId: string;
  botName: string;
  mode: LineChannel["mode"];
  dedicatedMemberId: string;
}

/** Secrets always start blank: the API never returns them, and an edit keeps them unless retyped. */
const initialValues = (channel?: LineChannel): Values => ({
  channelId: channel?.channelId ?? "",
  channelSecret: "",
  channelAccessToken: "",
  tokenSource: channel?.tokenSource ?? "static",
  loginChannelId: channel?.loginChannelId ?? "",
  loginChannelSecret: "",
  basicId: channel?.basicId ?? "",
  botName: channel?.botName ?? "",
  mode: channel?.mode ?? "shared",
  dedicatedMemberId: channel?.dedicatedMemberId ?? "",
});

/** Which secrets the channel already holds: only those can be "kept" by leaving the input blank. */
const stored = (c: LineChannel) => ({
  channelSecret: c.hasChannelSecret,
  channelAccessToken: c.tokenSource === "static" && c.hasAccessToken,
  loginChannelSecret: c.hasLoginChannelSecret,
});

const orNull = (v: string) => (v.trim() === "" ? null : v.trim());

function createBody(v: Values): NewLineChannel {
  return {
    channelId: v.channelId,
    mode: v.mode,
    dedicatedMemberId: v.mode === "dedicated" ? orNull(v.dedicatedMemberId) : null,
    channelSecret: v.channelSecret,
    ...(v.tokenSource === "static" && { channelAccessToken: v.channelAccessToken }),
    loginChannelId: orNull(v.loginChannelId),
    loginChannelSecret: orNull(v.loginChannelSecret),
    basicId: orNull(v.basicId),
    botName: orNull(v.botName),
  };
}

/** Only what changed; a blank secret means "keep the stored one", so it is left out. */
function changesOf(c: LineChannel, v: Values): LineChannelChanges {
  const changes: LineChannelChanges = {};
  if (v.mode !== c.mode) changes.mode = v.mode;
  const member = v.mode === "dedicated" ? orNull(v.dedicatedMemberId) : null;
  if (member !== c.dedicatedMemberId) changes.dedicatedMemberId = member;
  if (v.channelSecret.trim()) changes.channelSecret = v.channelSecret;
  if (v.tokenSource === "static" && v.channelAccessToken.trim()) changes.channelAccessToken = v.channelAccessToken;
  // null switches the channel to tokens Tsunagu issues from the channel id and secret.
  if (v.tokenSource === "issued" && c.tokenSource === "static") changes.channelAccessToken = null;
  const loginId = orNull(v.loginChannelId);
  if (loginId !== c.loginChannelId) changes.loginChannelId = loginId;
  if (v.loginChannelSecret.trim()) changes.loginChannelSecret = v.loginChannelSecret;
  // Removing the Login channel removes its secret too (the server wants both or neither).
  else if (!loginId && c.hasLoginChannelSecret) changes.loginChannelSecret = null;
  for (const f of ["basicId", "botName"] as const) {
    if (orNull(v[f]) !== c[f]) changes[f] = orNull(v[f]);
  }
  return changes;
}

function issuesToErrors(issues: z.core.$ZodIssue[]): { fields: FieldErrors; form: string | null } {
  const fields: FieldErrors = {};
  let form: string | null = null;
  for (const issue of issues) {
    const path = issue.path[0];
    const sentence = fieldProblemSentence(fieldErrorOf(issue));
    if (typeof path === "string") fields[path as Field] ??= sentence;
    else form ??= sentence;
  }
  return { fields, form };
}

/**
 * Connect a LINE channel (no `channel`) or edit one. Validated with the shared schemas before
 * sending; the server's per-field problems land beside the same inputs.
 */
export function LineChannelForm({ channel, onDone }: { channel?: LineChannel; onDone: (saved: LineChannel) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const members = useMembers();
  const create = useCreateLineChannel();
  const update = useUpdateLineChannel();
  const [values, setValues] = useState<Values>(() => initialValues(channel));
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const editing = !!channel;
  const pending = create.isPending || update.isPending;
  const set = (patch: Partial<Values>) => setValues((v) => ({ ...v, ...patch }));

  const onError = (err: unknown) => {
    if (isProblem(err, "validation_failed") && err.problem.errors?.length) {
      const fields: FieldErrors = {};
      for (const fe of err.problem.errors) fields[fe.path as Field] ??= fieldProblemSentence(fe);
      setFieldErrors(fields);
    } else if (isProblem(err, "line_channel_taken")) {
      setFieldErrors({ channelId: problemText(err) });
    } else {
      setFormError(problemText(err));
    }
  };

  function submit(e: FormEvent) {
    e.preventDefault();
    setFieldErrors({});
    setFormError(null);
    // The schemas make the token optional (issued tokens); the form asks for one when "paste a token"
    // is chosen and no token is stored yet.
    const tokenMissing =
      values.tokenSource === "static" && !values.channelAccessToken.trim() && (!channel || channel.tokenSource === "issued");
    const tokenError: FieldErrors = tokenMissing ? { channelAccessToken: t("adminLine.form.tokenRequired") } : {};
    if (!channel) {
      const checked = CreateLineChannelBody.safeParse(createBody(values));
      if (!checked.success || tokenMissing) {
        const { fields, form } = checked.success ? { fields: {}, form: null } : issuesToErrors(checked.error.issues);
        setFieldErrors({ ...fields, ...tokenError });
        return setFormError(form);
      }
      return create.mutate(checked.data, { onSuccess: onDone, onError });
    }
    const changes = changesOf(channel, values);
    if (Object.keys(changes).length === 0 && !tokenMissing) return setFormError(t("adminLine.form.noChanges"));
    const checked = UpdateLineChannelBody.safeParse(changes);
    if (!checked.success || tokenMissing) {
      const { fields, form } = checked.success ? { fields: {}, form: null } : issuesToErrors(checked.error.issues);
      setFieldErrors({ ...fields, ...tokenError });
      // "Change at least one field" says nothing new when the missing token is already flagged.
      return setFormError(tokenMissing ? null : form);
    }
    update.mutate({ id: channel.id, changes: checked.data }, { onSuccess: onDone, onError });
  }

  /** One labelled input with its hint and its error, wired for screen readers. */
  const field = (name: Field, label: string, input: (a11y: Record<string, string | boolean | undefined>) => ReactNode, hint?: string) => {
    const error = fieldErrors[name];
    const described = [hint && `${id}-${name}-hint`, error && `${id}-${name}-error`].filter(Boolean).join(" ");
    // The label holds only its text, so the input's accessible name is not mixed with its hint or error.
    return (
      <div className="field">
        <label htmlFor={`${id}-${name}`} className="field-label">
          {label}
        </label>
        {input({ id: `${id}-${name}`, name, "aria-invalid": error ? true : undefined, "aria-describedby": described || undefined })}
        {hint && (
          <span className="hint" id={`${id}-${name}-hint`}>
            {hint}
          </span>
        )}
        {error && (
          <span className="inline-problem" id={`${id}-${name}-error`} role="alert">
            {error}
          </span>
        )}
      </div>
    );
  };

  const secretInput = (name: "channelSecret" | "channelAccessToken" | "loginChannelSecret", required: boolean) =>
    field(
      name,
      t(`adminLine.form.${name}`),
      (a11y) => (
        <input
          {...a11y}
          type="password"
          autoComplete="off"
          spellCheck={false}
          required={required}
          value={values[name]}
          onChange={(e) => set({ [name]: e.target.value })}
        />
      ),
      channel && stored(channel)[name] ? t("adminLine.form.keepSecret") : undefined,
    );

  return (
    <form onSubmit={submit} className="stack line-channel-form" noValidate aria-label={editing ? t("adminLine.form.editTitle") : t("adminLine.form.createTitle")}>
      {editing ? (
        <p className="hint">{t("adminLine.form.channelIdFixed", { channelId: channel.channelId })}</p>
      ) : (
        field("channelId", t("adminLine.form.channelId"), (a11y) => (
          <input {...a11y} type="text" inputMode="numeric" autoComplete="off" required value={values.channelId} onChange={(e) => set({ channelId: e.target.value })} />
        ), t("adminLine.form.channelIdHint"))
      )}
      {secretInput("channelSecret", !editing)}

      <fieldset className="choices">
        <legend>{t("adminLine.form.tokenSource")}</legend>
        <label className="choice">
          <input type="radio" name={`${id}-token-source`} checked={values.tokenSource === "static"} onChange={() => set({ tokenSource: "static" })} />
          {t("adminLine.form.tokenStatic")}
        </label>
        <label className="choice">
          <input type="radio" name={`${id}-token-source`} checked={values.tokenSource === "issued"} onChange={() => set({ tokenSource: "issued", channelAccessToken: "" })} />
          {t("adminLine.form.tokenIssued")}
        </label>
      </fieldset>
      {values.tokenSource === "static" && secretInput("channelAccessToken", !editing || channel?.tokenSource === "issued")}

      <fieldset className="choices">
        <legend>{t("adminLine.form.mode")}</legend>
        <label className="choice">
          <input type="radio" name={`${id}-mode`} checked={values.mode === "shared"} onChange={() => set({ mode: "shared" })} />
          {t("adminLine.mode.shared")} — {t("adminLine.form.modeSharedHint")}
        </label>
        <label className="choice">
          <input type="radio" name={`${id}-mode`} checked={values.mode === "dedicated"} onChange={() => set({ mode: "dedicated" })} />
          {t("adminLine.mode.dedicated")} — {t("adminLine.form.modeDedicatedHint")}
        </label>
      </fieldset>
      {values.mode === "dedicated" &&
        field("dedicatedMemberId", t("adminLine.form.dedicatedMember"), (a11y) => (
          <select {...a11y} required value={values.dedicatedMemberId} onChange={(e) => set({ dedicatedMemberId: e.target.value })}>
            <option value="">{members.isPending ? t("common.loading") : t("adminLine.form.chooseMember")}</option>
            {members.data?.map((m) => (
              <option key={m.id} value={m.id}>
                {m.displayName} ({m.email})
              </option>
            ))}
          </select>
        ), members.isError ? problemText(members.error) : undefined)}

      <fieldset className="stack">
        <legend>{t("adminLine.form.loginTitle")}</legend>
        <p className="hint">{t("adminLine.form.loginHint")}</p>
        {field("loginChannelId", t("adminLine.form.loginChannelId"), (a11y) => (
          <input {...a11y} type="text" inputMode="numeric" autoComplete="off" value={values.loginChannelId} onChange={(e) => set({ loginChannelId: e.target.value })} />
        ))}
        {secretInput("loginChannelSecret", false)}
      </fieldset>

      {field("basicId", t("adminLine.form.basicId"), (a11y) => (
        <input {...a11y} type="text" autoComplete="off" placeholder="@abc1234" value={values.basicId} onChange={(e) => set({ basicId: e.target.value })} />
      ), t("adminLine.form.basicIdHint"))}
      {field("botName", t("adminLine.form.botName"), (a11y) => (
        <input {...a11y} type="text" autoComplete="off" value={values.botName} onChange={(e) => set({ botName: e.target.value })} />
      ))}

      {formError && (
        <p className="inline-problem" role="alert">
          {formError}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={pending} aria-busy={pending}>
        {pending ? t("common.saving") : editing ? t("adminLine.form.save") : t("adminLine.form.connect")}
      </button>
    </form>
  );
}
