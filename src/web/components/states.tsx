import { useTranslation } from "react-i18next";
import { ApiProblem } from "../api/client.ts";

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t("common.loading")}
    </div>
  );
}

/** The server's detail when it sent a problem, else the error's message: never a blank area. */
export function problemText(error: unknown): string {
  if (error instanceof ApiProblem) return error.problem.detail ?? error.problem.title;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** An inline error next to the control that caused it (role=alert so it is announced). */
export function InlineProblem({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  return (
    <p className="inline-problem" role="alert" id={id}>
      {problemText(error)}
    </p>
  );
}

/** A failed load: what went wrong and a way to try again. */
export function LoadError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="load-error" role="alert">
      <h2>{error instanceof ApiProblem ? error.problem.title : t("common.errorTitle")}</h2>
      <p>{problemText(error)}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}
