/**
 * Where to go after signing in. Only same-origin paths are accepted ("//evil.example" and
 * "https://…" are not), so a crafted sign-in link cannot send a member elsewhere.
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/signin")) return "/message";
  return next;
}
