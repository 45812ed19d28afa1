import { EmulatorControlClient } from "../../src/line-emulator/control-client.ts";
import type { TestServer } from "./server.ts";

export function emulatorOf(server: TestServer) {
  if (!server.lineEmulator) throw new Error("this server runs without the LINE emulator");
  return new EmulatorControlClient(server.lineEmulator.url);
}

/**
 * Walks LINE Login as the emulator's persona `userId` would in a browser: the landing page's
 * "Add friend", the emulator's consent form (add the account as a friend), and the callback.
 * Returns where Tsunagu finally sends the LINE user.
 */
export async function addFriendThroughLink(invitationUrl: string, userId: string): Promise<{ status: number; location: string | null; body: string }> {
  const url = new URL(invitationUrl);
  const add = await fetch(new URL(`${url.pathname}/add${url.search}`, url), { redirect: "manual" });
  const authorize = add.headers.get("location");
  if (add.status !== 302 || !authorize) return { status: add.status, location: authorize, body: await add.text() };
  const authorizeUrl = new URL(authorize, url);
  // Refused invitations send the browser back to Tsunagu's own page instead of LINE Login.
  if (authorizeUrl.origin === url.origin) return { status: add.status, location: authorize, body: await add.text() };
  const form = new URLSearchParams(authorizeUrl.searchParams);
  form.set("userId", userId);
  form.set("addFriend", "1");
  form.set("decision", "allow");
  const consent = await fetch(new URL(authorizeUrl.pathname, authorizeUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
  const callback = consent.headers.get("location");
  if (consent.status !== 302 || !callback) throw new Error(`emulator consent answered ${consent.status}: ${await consent.text()}`);
  const done = await fetch(callback, { redirect: "manual" });
  return { status: done.status, location: done.headers.get("location"), body: await done.text() };
}
