import type { z } from "zod";
import { ProblemSchema, type ProblemBody } from "../../shared/problems.ts";

/**
 * A failed API call, carrying the server's RFC 9457 problem so screens can show its detail and
 * switch on its code. Network failures and malformed answers become problems too, so every
 * caller handles exactly one error shape.
 */
export class ApiProblem extends Error {
  constructor(
    readonly problem: ProblemBody,
    /** Seconds from Retry-After, when the server sent one (sign-in lock-out). */
    readonly retryAfter?: number,
  ) {
    super(problem.detail ?? problem.title);
    this.name = "ApiProblem";
  }
  get code() {
    return this.problem.code;
  }
  get status() {
    return this.problem.status;
  }
}

// The session's CSRF token arrives with sign-in and /me; every unsafe request must echo it.
let csrfToken = "";
export function setCsrfToken(token: string) {
  csrfToken = token;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

interface RequestOptions<S extends z.ZodType | undefined> {
  /** JSON body, or a Blob sent as-is with its own content type (photos). */
  body?: unknown;
  /** The shared schema the answer must match; omit for bodiless answers (204). */
  schema?: S;
  /** Extra request headers (If-Match for versioned edits). */
  headers?: Record<string, string>;
}

function clientProblem(code: string, title: string, detail: string, status = 0): ApiProblem {
  return new ApiProblem({ type: `/problems/${code}`, code, title, status, detail });
}

export async function apiRequest<S extends z.ZodType | undefined = undefined>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  options: RequestOptions<S> = {},
): Promise<S extends z.ZodType ? z.output<S> : void> {
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  let body: BodyInit | undefined;
  if (options.body instanceof Blob) {
    body = options.body;
    headers["content-type"] = options.body.type || "application/octet-stream";
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  if (UNSAFE.has(method) && csrfToken) headers["x-csrf-token"] = csrfToken;

  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body, credentials: "same-origin" });
  } catch {
    throw clientProblem("network_error", "Cannot reach the server", "Check your connection and try again.");
  }

  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }

  if (!res.ok) {
    const parsed = ProblemSchema.safeParse(json);
    const retryAfter = Number(res.headers.get("retry-after")) || undefined;
    if (parsed.success) throw new ApiProblem(parsed.data, retryAfter);
    throw clientProblem("http_error", `Request failed (${res.status})`, res.statusText || "The server answered with an error.", res.status);
  }
  if (!options.schema) return undefined as never;
  const parsed = options.schema.safeParse(json);
  if (!parsed.success) {
    throw clientProblem("unexpected_response", "Unexpected answer from the server", `${method} ${path} answered in an unknown shape.`, res.status);
  }
  return parsed.data as never;
}

export const isProblem = (err: unknown, code?: string): err is ApiProblem =>
  err instanceof ApiProblem && (code === undefined || err.code === code);
