import type { Context } from "hono";
import { setCookie } from "hono/cookie";

/** Who "I" am in this browser: shared by the emulator UI and the LINE Login consent page. */
export const PERSONA_COOKIE = "line_emulator_user";

export function rememberPersona(c: Context, userId: string) {
  setCookie(c, PERSONA_COOKIE, userId, { path: "/", httpOnly: true, sameSite: "Lax", maxAge: 365 * 24 * 3600 });
}
