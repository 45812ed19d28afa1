/**
 * The one rule every string a client sends must pass: no NUL (U+0000) and no unpaired UTF-16
 * surrogate. PostgreSQL cannot store either in text or jsonb, a file name or LINE message with one
 * breaks downstream, and neither is ever typed by a person — so they are refused at the edge
 * (400 naming the field) instead of failing deep inside as a 500.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function textProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "must not contain a NUL character (U+0000)";
  if (LONE_SURROGATE.test(s)) return "must not contain an unpaired UTF-16 surrogate";
  return undefined;
}

/**
 * Every string anywhere in a parsed request (keys included), with its field path. Iterative, so a
 * deeply nested value cannot exhaust the stack.
 */
export function textProblems(value: unknown, root = ""): { path: string; message: string; code: "invalid_text" }[] {
  const found: { path: string; message: string; code: "invalid_text" }[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      const message = textProblem(v);
      if (message) found.push({ path: at || "(body)", message, code: "invalid_text" });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, at ? `${at}.${i}` : String(i)]));
    } else if (v !== null && typeof v === "object" && !(v instanceof Date) && !(v instanceof Uint8Array)) {
      for (const [key, item] of Object.entries(v)) {
        const keyProblem = textProblem(key);
        const keyPath = at ? `${at}.${key}` : key;
        if (keyProblem) found.push({ path: keyPath, message: `(the field name) ${keyProblem}`, code: "invalid_text" });
        stack.push([item, keyPath]);
      }
    }
  }
  return found;
}
