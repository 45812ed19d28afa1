import type { FieldError, ProblemCode, ProblemParams } from "../../shared/problems.ts";

export type { FieldError };

/**
 * A failure that the API answers as RFC 9457 problem+json. Services throw these; one error
 * handler turns them into responses, so no route formats errors itself. `extra.params` holds what
 * a client needs to say the sentence in its reader's language (src/shared/problems.ts).
 */
export class Problem extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 428 | 429 | 500 | 503,
    readonly code: ProblemCode,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> & { params?: ProblemParams } = {},
  ) {
    super(detail ?? title);
  }

  toBody(requestId?: string, instance?: string) {
    return {
      type: `/problems/${this.code}`,
      code: this.code,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(requestId ? { requestId } : {}),
      ...this.extra,
    };
  }
}

export const problems = {
  validation: (errors: FieldError[]) =>
    new Problem(400, "validation_failed", "The request is not valid", errors.map((e) => `${e.path}: ${e.message}`).join("; "), { errors }),
  unauthenticated: () => new Problem(401, "unauthenticated", "Sign in first", "This request needs a signed-in session."),
  adminRequired: () => new Problem(403, "admin_required", "Administrators only", "Only an administrator can do this."),
  notFound: (what: string) => new Problem(404, "not_found", `${what} not found`, `No ${what.toLowerCase()} with that id is visible to you.`),
  conflict: (code: ProblemCode, detail: string) => new Problem(409, code, "Conflict", detail),
};
