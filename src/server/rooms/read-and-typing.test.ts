import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";

/**
 * Issue 11: when the member opens the room, LINE shows the LINE user "Read" on their messages
 * (POST /v2/bot/chat/markAsRead with the newest message's markAsReadToken), once per unread
 * batch; while the member types, LINE's loading animation (POST /v2/bot/chat/loading/start),
 * throttled. Both are company settings, on by default.
 */
let server: TestServer;
let sato: ApiClient;
let admin: ApiClient;
let channelId: string;

beforeAll(async () => {
  server = await bootServer();
  channelId = server.demoLineChannelId!;
  sato = await signedIn(server, "sato@demo.example");
  admin = await signedIn(server, "admin@demo.example");
});

/** The administrator's LINE account settings (Admin → LINE), changed as an administrator would. */
async function setAccount(patch: { readReceipts?: boolean; typing?: boolean }) {
  const current = (await admin.get("/api/v1/me")).json.tenant.lineAccount;
  expect((await admin.put("/api/v1/admin/line-account", { ...current, ...patch })).status).toBe(200);
}
afterAll(async () => {
  await server?.stop();
});

const markCalls = async () => (await emulatorOf(server).requests()).filter((r) => r.path === "/v2/bot/chat/markAsRead").length;

async function friendWithMessages(name: string, texts: string[]) {
  const emu = emulatorOf(server);
  const user = await emu.createUser({ displayName: name, language: "en" });
  const { url } = (await sato.get("/api/v1/invitations/me")).json;
  await addFriendThroughLink(url, user.userId);
  for (const text of texts) await emu.sendMessage(user.userId, channelId, { type: "text", text });
  await server.worker.drain();
  const room = ((await sato.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find((r) => r.lineUser.displayName === name)!;
  return { userId: user.userId, roomId: room.id };
}

const readFlags = async (userId: string) =>
  (await emulatorOf(server).chat(userId, channelId)).filter((e) => e.from === "user").map((e) => [e.message.text, e.read ?? false]);

describe("read receipts", () => {
  it("opening the room marks the LINE user's messages read on LINE, once", async () => {
    const { userId, roomId } = await friendWithMessages("Reader One", ["first", "second"]);
    expect(await readFlags(userId)).toEqual([
      ["first", false],
      ["second", false],
    ]);
    const before = await markCalls();
    expect((await sato.post(`/api/v1/rooms/${roomId}/read`)).status).toBe(204);
    await server.worker.drain();
    expect(await readFlags(userId)).toEqual([
      ["first", true],
      ["second", true],
    ]);
    expect(await markCalls()).toBe(before + 1);

    // Nothing unread: no call. A new message: read again on the next open.
    await sato.post(`/api/v1/rooms/${roomId}/read`);
    await server.worker.drain();
    expect(await markCalls()).toBe(before + 1);
    await emulatorOf(server).sendMessage(userId, channelId, { type: "text", text: "third" });
    await server.worker.drain();
    await sato.post(`/api/v1/rooms/${roomId}/read`);
    await server.worker.drain();
    expect((await readFlags(userId)).at(-1)).toEqual(["third", true]);
    expect(await markCalls()).toBe(before + 2);
  });

  it("sends nothing while the company has read receipts off", async () => {
    await setAccount({ readReceipts: false });
    try {
      const { userId, roomId } = await friendWithMessages("Reader Two", ["unseen"]);
      const before = await markCalls();
      await sato.post(`/api/v1/rooms/${roomId}/read`);
      await server.worker.drain();
      expect(await markCalls()).toBe(before);
      expect(await readFlags(userId)).toEqual([["unseen", false]]);
    } finally {
      await setAccount({ readReceipts: true });
    }
  });

  it("typing shows LINE's loading animation, at most once per 5 seconds per room, and not while the setting is off", async () => {
    const { roomId } = await friendWithMessages("Typing Watcher", ["hi"]);
    const loadingCalls = async () => (await emulatorOf(server).requests()).filter((r) => r.path === "/v2/bot/chat/loading/start").length;
    const before = await loadingCalls();
    for (let i = 0; i < 3; i++) expect((await sato.post(`/api/v1/rooms/${roomId}/typing`)).status).toBe(204);
    // Fire and forget on the server: wait for the one call to reach LINE.
    await expect.poll(loadingCalls, { timeout: 10_000 }).toBe(before + 1);

    await setAccount({ typing: false });
    try {
      const other = await friendWithMessages("Typing Unseen", ["hi"]);
      expect((await sato.post(`/api/v1/rooms/${other.roomId}/typing`)).status).toBe(204);
      // A later call that does reach LINE proves the refused one was not merely slow.
      await setAccount({ typing: true });
      const third = await friendWithMessages("Typing Sentinel", ["hi"]);
      await sato.post(`/api/v1/rooms/${third.roomId}/typing`);
      await expect.poll(loadingCalls, { timeout: 10_000 }).toBe(before + 2);
    } finally {
      await setAccount({ typing: true });
    }
  });
});
