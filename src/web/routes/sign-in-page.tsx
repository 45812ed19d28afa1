import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useSearchParams } from "react-router";
import { isProblem } from "../api/client.ts";
import { useMe, useSignIn } from "../api/session.ts";
import { LanguageSwitch } from "../components/language-switch.tsx";
import { problemText } from "../components/states.tsx";
import { safeNext } from "../features/session/safe-next.ts";

export function SignInPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const me = useMe();
  const signIn = useSignIn();
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const errorId = useId();

  // Signed in just now (the mutation fills the /me cache) or already (a bookmarked /signin).
  if (me.isSuccess) return <Navigate to={next} replace />;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (signIn.isPending) return;
    signIn.mutate({ login, password });
  }

  const error = signIn.error;
  let message: string | undefined;
  if (isProblem(error, "signin_locked") && error.retryAfter) {
    message = t("signIn.locked", { count: Math.ceil(error.retryAfter / 60) });
  } else if (error) {
    message = problemText(error);
  }

  return (
    <main className="signin" id="main">
      <form className="signin-card" onSubmit={submit} aria-describedby={message ? errorId : undefined}>
        <h1>{t("signIn.title")}</h1>
        <label className="field">
          <span>{t("signIn.login")}</span>
          <input
            name="login"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={login}
            onChange={(e) => setLogin(e.target.value)}
            aria-invalid={error ? true : undefined}
          />
        </label>
        <label className="field">
          <span>{t("signIn.password")}</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error ? true : undefined}
          />
        </label>
        {message && (
          <p className="inline-problem" role="alert" id={errorId}>
            {message}
          </p>
        )}
        <button type="submit" className="button button-primary" disabled={signIn.isPending} aria-busy={signIn.isPending}>
          {signIn.isPending ? t("signIn.pending") : t("signIn.submit")}
        </button>
        <LanguageSwitch />
      </form>
    </main>
  );
}
