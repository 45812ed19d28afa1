import type { MiddlewareHandler } from "hono";
import { textProblem } from "../../shared/text.ts";
import { problems, type FieldError } from "./problem.ts";

/**
 * The shared text rule for the URL of every request, API or not (invitation pages, LINE Login's
 * callback, CardDAV, the mailbox): a NUL in a path or query would otherwise reach the database
 * and fail there as a 500. API bodies get the rule after their schema (createRouter).
 */
export function urlTextGuard(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const found: FieldError[] = [];
    let path = url.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      // Not decodable (e.g. the WTF-8 bytes of a lone surrogate): routes see it encoded, as text.
    }
    const pathProblem = textProblem(path);
    if (pathProblem) found.push({ path: "(path)", message: pathProblem, code: "invalid_text" });
    for (const [key, value] of url.searchParams) {
      const problem = textProblem(key) ?? textProblem(value);
      if (problem) found.push({ path: key, message: problem, code: "invalid_text" });
    }
    if (found.length > 0) throw problems.validation(found);
    await next();
  };
}
