import crypto from "node:crypto";
import type { MiddlewareHandler } from "hono";

/**
 * The Content-Security-Policy of an HTML page we serve. No inline script anywhere: an injected
 * `<script>` or `onerror=` has nothing to run with. Styles are the built files, plus exactly the
 * inline `<style>` blocks a server-rendered page declares (by hash, so an injected one fails).
 * `blob:` images are the photo preview before upload; `frame-ancestors 'none'` stops clickjacking.
 */
export function htmlPolicy(opts: { inlineStyles?: string[] } = {}): string {
  const hashes = (opts.inlineStyles ?? []).map((css) => `'sha256-${crypto.createHash("sha256").update(css).digest("base64")}'`);
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${["'self'", ...hashes].join(" ")}`,
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const SPA_POLICY = htmlPolicy();

/**
 * Headers every response gets, and the default page policy for HTML that did not set its own
 * (the SPA's index.html; server-rendered pages set theirs with their inline style's hash).
 * Set after the handler, so a route's own stricter choice (content policy, mailbox) wins.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    if (!headers.has("X-Content-Type-Options")) headers.set("X-Content-Type-Options", "nosniff");
    if (!headers.has("Referrer-Policy")) headers.set("Referrer-Policy", "same-origin");
    if (/^text\/html/i.test(headers.get("Content-Type") ?? "") && !headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", SPA_POLICY);
  };
}
