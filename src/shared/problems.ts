import { z } from "zod";

/**
 * Every problem `code` the API can answer with. The `type` of an RFC 9457 problem is
 * `/problems/<code>`; clients switch on `code` and show the sentence for it in the reader's
 * language (the web app has one per code in each locale), filled in from `params`. `title` and
 * `detail` stay English, for logs and API users reading raw answers.
 */
export const PROBLEM_CODES = [
  "validation_failed",
  "malformed_json",
  "unauthenticated",
  "csrf_rejected",
  "signin_failed",
  "signin_locked",
  "forbidden",
  "admin_required",
  "plan_required",
  "line_not_allowed",
  "name_refused_by_line",
  "not_found",
  "conflict",
  "login_id_taken",
  "email_taken",
  "team_name_taken",
  "admin_role_self",
  "payload_too_large",
  "unsupported_media_type",
  "internal_error",
  "database_unavailable",
  "server_busy",
  "http_error",
  "app_password_limit",
  "contact_in_trash",
  "contact_owner_only",
  "contact_quota_exceeded",
  "contact_read_only",
  "field_locked",
  "line_user_in_conversation",
  "member_is_chatting",
  "precondition_required",
  "version_conflict",
  "files_not_allowed",
  "line_user_blocked",
  "not_failed",
  "line_event_not_failed",
  "line_channel_taken",
  "line_verification_failed",
  "invalid_signature",
  "too_many_recipients",
  "daily_mail_limit",
  "push_endpoint_refused",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** Why the LINE gate refuses a member (`params.reason` of `line_not_allowed`, and `/me`'s lineAccess). */
export const LINE_REFUSALS = ["policy_off", "member_not_granted", "company_name", "member_name"] as const;
/** What LINE objects to in a name (`params.refusal`). */
export const NAME_REFUSALS = ["emoji", "line_word"] as const;

/** Values a sentence is filled in with: names, counts, limits. */
export const ProblemParamsSchema = z.record(z.string(), z.union([z.string(), z.number()]));
export type ProblemParams = z.infer<typeof ProblemParamsSchema>;

/**
 * One failing field. `code` is zod's issue code (`too_small`, `invalid_format`, …) or one of
 * ours (`contact_unreachable`, `invalid_text`, `unknown_member`, a refinement's `params.code`); `params` carries
 * zod's limits (`minimum`, `maximum`, `format`) so the sentence can name them.
 */
export const FieldErrorSchema = z.object({
  path: z.string(),
  message: z.string(),
  code: z.string().optional(),
  params: ProblemParamsSchema.optional(),
});
export type FieldError = z.infer<typeof FieldErrorSchema>;

export const ProblemSchema = z.object({
  type: z.string(),
  code: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  params: ProblemParamsSchema.optional(),
  errors: z.array(FieldErrorSchema).optional(),
  /** The contact a conflict is about (contact_in_trash), so the client can offer to restore it. */
  contactId: z.string().optional(),
});
export type ProblemBody = z.infer<typeof ProblemSchema>;

/** A zod issue as a field error: the same on the server's edge and in the web app's forms. */
export function fieldErrorOf(issue: z.core.$ZodIssue): FieldError {
  const params: ProblemParams = {};
  if ("minimum" in issue && (typeof issue.minimum === "number" || typeof issue.minimum === "bigint")) params.minimum = Number(issue.minimum);
  if ("maximum" in issue && (typeof issue.maximum === "number" || typeof issue.maximum === "bigint")) params.maximum = Number(issue.maximum);
  if ("origin" in issue && typeof issue.origin === "string") params.origin = issue.origin;
  if ("format" in issue && typeof issue.format === "string") params.format = issue.format;
  // A refinement names its rule in params.code (src/shared/line.ts), zod calls them all "custom".
  const custom = issue.code === "custom" && typeof issue.params?.code === "string" ? issue.params.code : undefined;
  return {
    path: issue.path.length ? issue.path.join(".") : "(body)",
    message: issue.message,
    code: custom ?? issue.code,
    ...(Object.keys(params).length ? { params } : {}),
  };
}
