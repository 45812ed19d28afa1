import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { CreateAppPasswordBody, type AppPassword, type CreatedAppPassword } from "../../../shared/carddav.ts";
import { useAppPasswords, useCreateAppPassword, useRevokeAppPassword } from "../../api/carddav.ts";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { ConfirmButton } from "../contacts/confirm-button.tsx";
import { CopyButton } from "../invitations/copy-button.tsx";

/**
 * Profile → "CardDAV address book": what to enter in Apple Contacts, Thunderbird or DAVx5, and
 * the app passwords those clients sign in with. A new secret is shown once, right here.
 */
export function CarddavSection() {
  const { t } = useTranslation();
  const setup = useAppPasswords();
  const [created, setCreated] = useState<CreatedAppPassword | null>(null);

  return (
    <section className="card carddav" aria-labelledby="carddav-title">
      <h2 id="carddav-title">{t("carddav.title")}</h2>
      <p className="hint">{t("carddav.intro")}</p>
      {setup.isPending ? (
        <Loading />
      ) : setup.isError ? (
        <LoadError error={setup.error} onRetry={() => void setup.refetch()} />
      ) : (
        <>
          <dl className="carddav-settings">
            <dt>{t("carddav.serverUrl")}</dt>
            <dd>
              <code>{setup.data.serverUrl}</code>
              <CopyButton text={setup.data.serverUrl} label={t("carddav.copyServerUrl")} />
            </dd>
            <dt>{t("carddav.username")}</dt>
            <dd>
              <code>{setup.data.username}</code>
              <CopyButton text={setup.data.username} label={t("carddav.copyUsername")} />
            </dd>
            <dt>{t("carddav.password")}</dt>
            <dd>{t("carddav.passwordHelp")}</dd>
          </dl>
          <h3>{t("carddav.appPasswords")}</h3>
          {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
          <CreateForm onCreated={setCreated} />
          {setup.data.items.length === 0 ? (
            <p className="empty">{t("carddav.none")}</p>
          ) : (
            <ul className="carddav-list" aria-label={t("carddav.appPasswords")}>
              {setup.data.items.map((p) => (
                <AppPasswordRow key={p.id} appPassword={p} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function CreateForm({ onCreated }: { onCreated: (created: CreatedAppPassword) => void }) {
  const { t } = useTranslation();
  const create = useCreateAppPassword();
  const inputId = useId();
  const [label, setLabel] = useState("");
  const [error, setError] = useState<string | null>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    // The schema the server validates with, so an empty name is caught without a round trip.
    const checked = CreateAppPasswordBody.safeParse({ label });
    if (!checked.success) return setError(t("carddav.labelRequired"));
    create.mutate(checked.data.label, {
      onSuccess: (created) => {
        setLabel("");
        onCreated(created);
      },
    });
  }

  return (
    <form className="carddav-create" onSubmit={submit} noValidate>
      <label className="field-label" htmlFor={inputId}>
        {t("carddav.label")}
      </label>
      <div className="form-row">
        <input
          id={inputId}
          type="text"
          name="label"
          value={label}
          maxLength={60}
          placeholder={t("carddav.labelPlaceholder")}
          onChange={(e) => setLabel(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${inputId}-error` : undefined}
        />
        <button type="submit" className="button button-primary" disabled={create.isPending} aria-busy={create.isPending}>
          {create.isPending ? t("carddav.creating") : t("carddav.create")}
        </button>
      </div>
      {error && (
        <p className="inline-problem" id={`${inputId}-error`} role="alert">
          {error}
        </p>
      )}
      <InlineProblem error={create.error} />
    </form>
  );
}

function NewSecret({ created, onDone }: { created: CreatedAppPassword; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="carddav-secret" role="status">
      <p>
        <strong>{t("carddav.secretTitle", { label: created.appPassword.label })}</strong>
      </p>
      <p className="hint">{t("carddav.secretOnce")}</p>
      <code className="carddav-secret-value" aria-label={t("carddav.secretLabel")}>
        {created.secret}
      </code>
      <div className="form-row">
        <CopyButton text={created.secret} label={t("carddav.copySecret")} primary />
        <button type="button" className="button" onClick={onDone}>
          {t("carddav.secretDone")}
        </button>
      </div>
    </div>
  );
}

function AppPasswordRow({ appPassword }: { appPassword: AppPassword }) {
  const { t, i18n } = useTranslation();
  const toast = useToast();
  const revoke = useRevokeAppPassword();
  const date = (iso: string) => new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  return (
    <li className="carddav-row">
      <div className="carddav-row-text">
        <span className="carddav-row-label">{appPassword.label}</span>
        <span className="hint">
          {t("carddav.createdAt", { date: date(appPassword.createdAt) })} ·{" "}
          {appPassword.lastUsedAt ? t("carddav.lastUsedAt", { date: date(appPassword.lastUsedAt) }) : t("carddav.neverUsed")}
        </span>
      </div>
      <ConfirmButton
        className="button button-small"
        label={
          <>
            {t("carddav.revoke")}
            <span className="visually-hidden"> {appPassword.label}</span>
          </>
        }
        title={t("carddav.revokeTitle", { label: appPassword.label })}
        body={t("carddav.revokeBody")}
        confirmLabel={t("carddav.revoke")}
        pending={revoke.isPending}
        error={revoke.error}
        onOpen={revoke.reset}
        onConfirm={async () => {
          try {
            await revoke.mutateAsync(appPassword.id);
            toast(t("carddav.revoked", { label: appPassword.label }));
            return true;
          } catch {
            return false;
          }
        }}
      />
    </li>
  );
}
