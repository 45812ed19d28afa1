import type { FieldError, ProblemBody } from "../../shared/problems.ts";
import i18n from "./i18n.ts";

/**
 * The sentence for a problem in the reader's language, from its `code` and `params`. The server's
 * English `detail` is never shown: a code without a sentence falls back to a general one, so an
 * English server text cannot reach a Japanese or Korean screen.
 */
export function problemSentence(problem: ProblemBody): string {
  const t = i18n.t.bind(i18n);
  const params = problem.params ?? {};
  const refusal = typeof params.refusal === "string" ? t(`problems.refusal.${params.refusal}`) : "";
  switch (problem.code) {
    case "line_not_allowed":
      if (typeof params.reason === "string" && i18n.exists(`problems.line_not_allowed_${params.reason}`)) {
        return t(`problems.line_not_allowed_${params.reason}`, { refusal });
      }
      return t("problems.line_not_allowed");
    case "signin_locked":
      return t("problems.signin_locked", { count: Number(params.minutes ?? 15) });
    case "member_is_chatting":
      return t("problems.member_is_chatting", { ...params, count: Number(params.count ?? 1) });
    case "http_error":
      return t("problems.http_error", { status: problem.status });
    default:
      return i18n.exists(`problems.${problem.code}`) ? t(`problems.${problem.code}`, { ...params, refusal }) : t("problems.fallback");
  }
}

/**
 * One refused field's sentence. English readers get the schema's own words ("must be LINE's
 * numeric channel id"), the most precise there are; other languages the sentence for the rule's
 * code (`contact_unreachable`), else zod's code and limits.
 */
export function fieldProblemSentence(fe: Pick<FieldError, "code" | "params" | "message">): string {
  const t = i18n.t.bind(i18n);
  if (i18n.resolvedLanguage === "en" && fe.message) return fe.message;
  const params = fe.params ?? {};
  const code = fe.code ?? "fallback";
  if (code === "too_small" && params.origin === "string" && params.minimum === 1) return t("fieldProblems.required");
  const specific = code === "invalid_format" ? params.format : params.origin;
  if (typeof specific === "string" && i18n.exists(`fieldProblems.${code}_${specific}`)) return t(`fieldProblems.${code}_${specific}`, params);
  return i18n.exists(`fieldProblems.${code}`) ? t(`fieldProblems.${code}`, params) : t("fieldProblems.fallback");
}
