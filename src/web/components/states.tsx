import { useTranslation } from "react-i18next";
import { ApiProblem } from "../api/client.ts";
import i18n from "../i18n/i18n.ts";
import { problemSentence } from "../i18n/problem-text.ts";

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t("common.loading")}
    </div>
  );
}

/**
 * What went wrong, in the reader's language (from the problem's code, never the server's English
 * detail); a non-API error is a general sentence: its message is a developer's, in English.
 */
export function problemText(error: unknown): string {
  if (error instanceof ApiProblem) return problemSentence(error.problem);
  return i18n.t("problems.fallback");
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
      <h2>{error instanceof ApiProblem && error.code === "not_found" ? t("problems.notFoundTitle") : t("common.errorTitle")}</h2>
      <p>{problemText(error)}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}
