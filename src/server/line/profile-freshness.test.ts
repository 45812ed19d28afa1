import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { waitFor } from "../../../test/support/line-webhooks.ts";
import { readEvents } from "../../../test/support/sse.ts";
import type { ApiClient } from "../../../test/support/server.ts";
import { TINY_PNG, befriendAs, bootContactsServer, client, lineUserFollowing, type ContactsTestServer } from "../contacts/test-support.ts";
import { isAllowedAvatarUrl } from "./profile-sync.ts";
import { lineRepository } from "./repository.ts";

/**
 * Issue 11: a LINE user's name and picture are at most a minute old whenever anything happens —
 * an event from them, or a member opening their room or contact — and each change is in the
 * contact's history. The clock is moved instead of waiting out the minute.
 */
let h: ContactsTestServer;
let sato: ApiClient;
let admin: ApiClient;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
const MINUTE = 60_000;

beforeAll(async () => {
  h = await bootContactsServer({ clock });
  [sato, admin] = await Promise.all([client(h, "sato@demo.example"), client(h, "admin@demo.example")]);
});
afterAll(async () => {
  await h?.stop();
});

const profileCalls = async (userId: string) =>
  (await emulatorOf(h.server).requests()).filter((r) => r.method === "GET" && r.path === `/v2/bot/profile/${userId}`).length;

async function friendWithContact(name: string) {
  const { userId, lineUserId } = await lineUserFollowing(h, name, TINY_PNG([20, 120, 220]));
  const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
  const contact = (await sato.post(`/api/v1/rooms/${roomId}/contact`)).json.contact as { contactId: string };
  return { userId, lineUserId, roomId, contactId: contact.contactId };
}

const send = (userId: string, text: string) => emulatorOf(h.server).sendMessage(userId, h.server.demoLineChannelId!, { type: "text", text });

describe("profiles in sync within a minute of any activity", () => {
  it("an event from a user whose copy is a minute old refreshes it; a burst costs LINE one profile call", async () => {
    const emu = emulatorOf(h.server);
    const { userId, roomId, contactId } = await friendWithContact("山田 花子");
    await emu.updateUser(userId, { displayName: "やまだ はなこ🌸" });

    // Within the minute the copy is fresh: no call, the old name stays.
    const before = await profileCalls(userId);
    await send(userId, "still fresh");
    await h.drain();
    expect(await profileCalls(userId)).toBe(before);
    expect((await sato.get(`/api/v1/rooms/${roomId}`)).json.lineUser.displayName).toBe("山田 花子");

    offsetMs += MINUTE + 1_000;
    for (let i = 0; i < 5; i++) await send(userId, `burst ${i}`);
    await h.drain();
    expect(await profileCalls(userId)).toBe(before + 1);
    expect((await sato.get(`/api/v1/rooms/${roomId}`)).json.lineUser.displayName).toBe("やまだ はなこ🌸");
    const contact = (await sato.get(`/api/v1/contacts/${contactId}`)).json;
    expect(contact.contactName.nickName).toBe("やまだ はなこ🌸");

    // The contact's history says what LINE changed, by no member.
    const history = (await admin.get(`/api/v1/admin/audit?action=contact.line_profile`)).json.items as { targetId: string; actor: unknown; detail: unknown }[];
    expect(history.filter((e) => e.targetId === contactId)).toEqual([
      expect.objectContaining({ actor: null, detail: { nickName: { from: "山田 花子", to: "やまだ はなこ🌸" } } }),
    ]);
  });

  it("opening a room or contact whose profile is stale refreshes it in the background and tells the member live", async () => {
    const emu = emulatorOf(h.server);
    const { userId, roomId, contactId } = await friendWithContact("Opened Later");
    await emu.updateUser(userId, { displayName: "Opened Renamed", pictureBase64: Buffer.from(TINY_PNG([250, 10, 10])).toString("base64"), pictureContentType: "image/png" });
    const oldPicture = (await sato.get(`/api/v1/rooms/${roomId}`)).json.lineUser.pictureUrl;
    offsetMs += MINUTE + 1_000;

    // The room answers at once with what it has; the refresh arrives as `room.updated`.
    let opened: { lineUser: { displayName: string } } | undefined;
    await readEvents(`${h.url}/api/v1/events`, sato.cookie, (ev) => ev.event === "room.updated" && (ev.data as { roomId?: string }).roomId === roomId, {
      timeoutMs: 30_000,
      onOpen: async () => {
        opened = (await sato.get(`/api/v1/rooms/${roomId}`)).json;
        await h.drain();
      },
    });
    expect(opened?.lineUser.displayName).toBe("Opened Later");
    const room = (await sato.get(`/api/v1/rooms/${roomId}`)).json;
    expect(room.lineUser.displayName).toBe("Opened Renamed");
    expect(room.lineUser.pictureUrl).not.toBe(oldPicture);
    expect((await sato.get(`/api/v1/contacts/${contactId}`)).json.contactName.nickName).toBe("Opened Renamed");

    // Opening the contact does the same.
    await emu.updateUser(userId, { displayName: "Contact Opened" });
    offsetMs += MINUTE + 1_000;
    await readEvents(`${h.url}/api/v1/events`, sato.cookie, (ev) => ev.event === "contact.updated" && (ev.data as { contactId?: string }).contactId === contactId, {
      timeoutMs: 30_000,
      onOpen: async () => {
        expect((await sato.get(`/api/v1/contacts/${contactId}`)).json.contactName.nickName).toBe("Opened Renamed");
        await h.drain();
      },
    });
    expect((await sato.get(`/api/v1/contacts/${contactId}`)).json.contactName.nickName).toBe("Contact Opened");
  });

  it("a follow whose profile call LINE leaves unanswered goes through after a short deadline, and the profile follows later", async () => {
    const emu = emulatorOf(h.server);
    const user = await emu.createUser({ displayName: "Slow Profile" });
    await emu.addHold({ path: `/v2/bot/profile/${user.userId}`, times: 1 });
    await emu.follow(user.userId, h.server.demoLineChannelId!);
    const channel = (await lineRepository.channelByLineId(h.server.db, h.server.demoLineChannelId!))!;
    // The follow's transaction gives LINE 3 s, not the 20 s any other call gets, then queues the sync.
    const followed = await waitFor(
      async () => {
        const u = await lineRepository.lineUserByUserId(h.server.db, channel.id, user.userId);
        return u?.follow_state === "followed" ? u : undefined;
      },
      15_000,
      "the follow to be processed while LINE hangs",
    );
    // Still unanswered: the follow did not wait for it.
    expect(await emu.holds()).toEqual({ held: 1 });
    await emu.releaseHolds();
    await waitFor(async () => (await lineRepository.lineUser(h.server.db, followed.id))?.display_name === "Slow Profile" || undefined, 30_000, "the queued sync");
  }, 60_000);

  it("takes the name and picture from LINE Login's ID token, newer than any copy held", async () => {
    const emu = emulatorOf(h.server);
    const { userId, lineUserId } = await lineUserFollowing(h, "Before Login");
    await emu.updateUser(userId, { displayName: "From The Token", pictureBase64: Buffer.from(TINY_PNG([1, 2, 3])).toString("base64"), pictureContentType: "image/png" });
    // LINE's profile API fails throughout: only the ID token can bring the new name.
    await emu.addFault({ path: `/v2/bot/profile/${userId}`, status: 500, times: 1000 });
    const { url } = (await sato.get("/api/v1/invitations/me")).json;
    const done = await addFriendThroughLink(url, userId);
    expect(done.status).toBe(302);
    const row = (await lineRepository.lineUser(h.server.db, lineUserId))!;
    expect(row.display_name).toBe("From The Token");
    expect(row.picture_url).toBe((await emu.users()).find((u) => u.userId === userId)?.pictureUrl);
  });
});

describe("the picture allow-list (LINE_PICTURE_HOSTS)", () => {
  const allowed = ["profile.line-scdn.net", "obs.line-scdn.net", "http://127.0.0.1:4000"];
  it("takes LINE's CDN over HTTPS on the default port, and whole origins listed", () => {
    expect(isAllowedAvatarUrl("https://profile.line-scdn.net/0h1234", allowed)).toBe(true);
    expect(isAllowedAvatarUrl("https://obs.line-scdn.net/x/small", allowed)).toBe(true);
    expect(isAllowedAvatarUrl("http://127.0.0.1:4000/p/1.png", allowed)).toBe(true);
  });
  it("refuses other schemes, ports, hosts, look-alikes and credentials", () => {
    for (const url of [
      "http://profile.line-scdn.net/0h1234",
      "https://profile.line-scdn.net:8443/0h1234",
      "https://profile.line-scdn.net.evil.example/0h1234",
      "https://user:pw@profile.line-scdn.net/0h1234",
      "http://127.0.0.1:4001/p/1.png",
      "http://169.254.169.254/latest/meta-data",
      "file:///etc/passwd",
      "not a url",
    ])
      expect(isAllowedAvatarUrl(url, allowed), url).toBe(false);
  });
});
