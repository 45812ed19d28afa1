import { stdSerializers } from "pino";

/**
 * What an error may carry into the logs. PGlite attaches the failing statement and its
 * parameters (`query`, `params`) to its errors and PostgreSQL's `detail`/`where` quote row
 * values, so a logged database error would write message texts, e-mail addresses or password
 * hashes. Those fields are dropped at any depth of `cause`; type, message, code and stack stay.
 */
const UNSAFE_ERROR_FIELDS = ["query", "params", "parameters", "queryOptions", "values", "detail", "where", "internalQuery", "body", "payload"];

type SerializedError = Record<string, unknown>;

export function safeErrorSerializer(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return scrub(stdSerializers.err(err) as unknown as SerializedError);
}

function scrub(serialized: SerializedError): SerializedError {
  const out: SerializedError = { ...serialized };
  for (const field of UNSAFE_ERROR_FIELDS) delete out[field];
  if (out.cause && typeof out.cause === "object") out.cause = scrub(out.cause as SerializedError);
  return out;
}
