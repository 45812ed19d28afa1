import { z } from "zod";

/**
 * Every problem `code` the API can answer with. The `type` of an RFC 9457 problem is
 * `/problems/<code>`; clients switch on `code`.
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
  "payload_too_large",
  "unsupported_media_type",
  "internal_error",
  "database_unavailable",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number] | (string & {});

export const ProblemSchema = z.object({
  type: z.string(),
  code: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** The contact a conflict is about (contact_in_trash), so the client can offer to restore it. */
  contactId: z.string().optional(),
});
export type ProblemBody = z.infer<typeof ProblemSchema>;
