import type { MiddlewareHandler } from "hono";
import { findOperation, validateRequest } from "../spec.ts";

/** A request that LINE's own OpenAPI documents do not allow; tests assert none was recorded. */
export interface SpecViolation {
  at: number;
  method: string;
  path: string;
  /** The operation's path template in LINE's documents, when there is one. */
  operation?: string;
  errors: string[];
}

/**
 * LINE Login's endpoints (`/oauth2/v2.1/*`, `/v2/profile`, `/friendship/v1/status`) have no
 * document in the suite, and `/oauth2/v2.1/token` there is a different operation from the
 * channel-access-token one of the same path, so they are left to the login routes' own checks.
 */
const UNDOCUMENTED = [/^\/oauth2\/v2\.1\//, /^\/v2\/profile$/, /^\/friendship\/v1\//];
/** Where LINE's APIs live; anything else on the origin (a browser's `/favicon.ico`) is no API call. */
const API_PATHS = /^\/(v2|v3|oauth2)\//;

async function readBody(req: Request, form: boolean): Promise<{ ok: true; data: unknown } | { ok: false }> {
  const text = await req.clone().text();
  if (form) return { ok: true, data: Object.fromEntries(new URLSearchParams(text)) };
  try {
    return { ok: true, data: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Checks every request to LINE's paths against LINE's OpenAPI documents before the emulator acts
 * on it: an unknown operation or a body the documents refuse is recorded and answered the way
 * LINE answers (404, or 400 with `details`), so a connector that sends something real LINE would
 * refuse fails here too, loudly.
 */
export function specGuard(record: (v: SpecViolation) => void, now: () => number): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (!API_PATHS.test(path) || UNDOCUMENTED.some((p) => p.test(path))) return next();
    const method = c.req.method;
    const op = findOperation(method, path);
    if (!op) {
      record({ at: now(), method, path, errors: ["no such operation in LINE's OpenAPI documents"] });
      return c.json({ message: "Not found" }, 404);
    }
    if (!op.hasBody) return next();
    const body = await readBody(c.req.raw, op.form);
    if (!body.ok) {
      record({ at: now(), method, path, operation: op.path, errors: ["the body is not JSON"] });
      return c.json({ message: "The request body is not valid JSON" }, 400);
    }
    const result = validateRequest(op.path, method, body.data);
    if (result.valid) return next();
    record({ at: now(), method, path, operation: op.path, errors: result.errors });
    return c.json({ message: `The request body has ${result.details.length} error(s)`, details: result.details }, 400);
  };
}
