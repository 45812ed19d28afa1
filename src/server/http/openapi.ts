import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { ZodType } from "zod";
import { fieldErrorOf, ProblemSchema } from "../../shared/problems.ts";
import { textProblems } from "../../shared/text.ts";
import type { AppEnv } from "./env.ts";
import { problems } from "./problem.ts";

/**
 * A router whose request validation failures become 400 problems naming each failing field,
 * the same way for every route. Every parsed body, query, path and header also passes the
 * shared text rule (src/shared/text.ts) here, once, instead of in each of the schemas.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const error = result.error as z.ZodError;
        throw problems.validation(error.issues.map(fieldErrorOf));
      }
      const bad = textProblems(result.data);
      if (bad.length > 0) throw problems.validation(bad);
    },
  });
}

export const jsonBody = <T extends ZodType>(schema: T, description = "JSON body") => ({
  body: { required: true, description, content: { "application/json": { schema } } },
});

export const json = <T extends ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });

/** The failures every authenticated route can answer with. */
export const commonProblems = {
  400: problem("Invalid request (the failing fields are listed)"),
  401: problem("Not signed in"),
  403: problem("Not allowed (CSRF, role, plan or LINE policy)"),
  404: problem("Not found in your company"),
} as const;

export const problemResponse = problem;
