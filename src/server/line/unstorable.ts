/**
 * PostgreSQL cannot store NUL in text or jsonb, nor lone UTF-16 surrogates; LINE may still send
 * them (a user's message, a display name). Such deliveries are acknowledged with the characters
 * replaced by U+FFFD, rather than failing until LINE gives up redelivering them.
 */
// NUL is exactly what must be matched here.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function replaceUnstorable<T>(value: T): T {
  if (typeof value === "string") return value.replace(UNSTORABLE, "\uFFFD") as T;
  if (Array.isArray(value)) return value.map(replaceUnstorable) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [replaceUnstorable(k), replaceUnstorable(v)])) as T;
  }
  return value;
}
