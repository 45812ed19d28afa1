import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../jobs/queue.ts";
import { mailRepository } from "../mail/repository.ts";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { startPushEndpoint, type PushEndpoint } from "../../../test/support/push-endpoint.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { readEvents } from "../../../test/support/sse.ts";

// Issue 14: settings, unread count, and Web Push through a real RFC 8030 endpoint (web-push-testing
// checks the VAPID signature and decrypts the payload) to members with no web app open.

let server: TestServer;
let push: PushEndpoint;
let channelId: string;

// The digest waits N minutes: the server's clock runs ahead of LINE's event times when a test says so.
let aheadMs = 0;

beforeAll(async () => {
  [server, push] = await Promise.all([bootServer({}, { clock: () => new Date(Date.now() + aheadMs) }), startPushEndpoint()]);
  channelId = server.demoLineChannelId!;
});
afterAll(async () => {
  await Promise.all([server?.stop(), push?.close()]);
});

async function lineFriendOf(member: ApiClient, name: string) {
  const user = await emulatorOf(server).createUser({ displayName: name, language: "en" });
  const { url } = (await member.get("/api/v1/invitations/me")).json;
  await addFriendThroughLink(url, user.userId);
  await server.worker.drain();
  const rooms = (await member.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[];
  return { userId: user.userId, roomId: rooms.find((r) => r.lineUser.displayName === name)!.id };
}

/** This client's device subscribed at the local push service with the server's VAPID key (in its web app's language, if given). */
async function subscribeDevice(member: ApiClient, language?: "en" | "ja" | "ko") {
  const { publicKey } = (await member.get("/api/v1/push/key")).json;
  const sub = await push.subscribe(publicKey);
  expect((await member.put("/api/v1/push/subscription", { endpoint: sub.endpoint, keys: sub.keys, ...(language && { language }) })).status).toBe(204);
  return sub;
}

const liveStreams = async (memberId: string) =>
  Number((await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM live_streams WHERE member_id = $1", [memberId]))[0]!.n);

const DEFAULTS = { desktop: true, sound: true, digestMinutes: null, language: "en" };

describe("notification settings", () => {
  it("are on (and the digest off) until the member changes them, and kept per member", async () => {
    const kim = await signedIn(server, "kim@demo.example");
    expect((await kim.get("/api/v1/me/notifications")).json).toEqual(DEFAULTS);
    const changed = { desktop: false, sound: true, digestMinutes: 30, language: "ko" };
    expect((await kim.put("/api/v1/me/notifications", changed)).json).toEqual(changed);
    expect((await (await signedIn(server, "kim@demo.example")).get("/api/v1/me/notifications")).json).toEqual(changed);
    expect((await (await signedIn(server, "smith@demo.example")).get("/api/v1/me/notifications")).json).toEqual(DEFAULTS);
    expect((await kim.put("/api/v1/me/notifications", { ...changed, desktop: "yes" })).status).toBe(400);
    expect((await kim.put("/api/v1/me/notifications", { ...changed, digestMinutes: 5 })).status).toBe(400);
    expect((await kim.put("/api/v1/me/notifications", DEFAULTS)).status).toBe(200);
  });
});

describe("unread summary", () => {
  it("counts unread messages across my rooms and drops when a room is read", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    const before = (await sato.get("/api/v1/me/unread")).json.total as number;
    const a = await lineFriendOf(sato, "Unread A");
    const b = await lineFriendOf(sato, "Unread B");
    const emu = emulatorOf(server);
    await emu.sendMessage(a.userId, channelId, { type: "text", text: "one" });
    await emu.sendMessage(a.userId, channelId, { type: "text", text: "two" });
    await emu.sendMessage(b.userId, channelId, { type: "text", text: "three" });
    await server.worker.drain();
    expect((await sato.get("/api/v1/me/unread")).json.total).toBe(before + 3);
    await sato.post(`/api/v1/rooms/${a.roomId}/read`);
    expect((await sato.get("/api/v1/me/unread")).json.total).toBe(before + 1);
  });
});

describe("Web Push", () => {
  it("reaches a member's device when no web app of theirs is open, and not while one is", async () => {
    const kim = await signedIn(server, "kim@demo.example");
    const kimId = (await kim.get("/api/v1/me")).json.member.id as string;
    const device = await subscribeDevice(kim);
    const friend = await lineFriendOf(kim, "Pushing Friend");
    const emu = emulatorOf(server);

    // With the web app open, the stream carries the message (with what a notification shows), and no push goes out.
    await readEvents(`${server.url}/api/v1/events`, kim.cookie, (ev) => ev.event === "message.created", {
      timeoutMs: 30_000,
      onOpen: async () => {
        await expect.poll(() => liveStreams(kimId)).toBe(1);
        await emu.sendMessage(friend.userId, channelId, { type: "text", text: "while open" });
        await server.worker.drain();
      },
    }).then((seen) => {
      expect(seen.at(-1)!.data).toMatchObject({ roomId: friend.roomId, inbound: true, title: "Pushing Friend", body: "while open" });
    });

    // Closed: the stream's presence goes, and the next message is pushed, signed and encrypted.
    await expect.poll(() => liveStreams(kimId), { timeout: 15_000 }).toBe(0);
    await emu.sendMessage(friend.userId, channelId, { type: "text", text: "while closed" });
    await server.worker.drain();
    await expect.poll(() => push.notifications(device.clientHash), { timeout: 15_000 }).toHaveLength(1);
    // Only the second message: the first (sent while the app was open) was never pushed.
    const [only] = await push.notifications(device.clientHash);
    expect(JSON.parse(only!)).toEqual({ roomId: friend.roomId, messageId: expect.any(String), title: "Pushing Friend", body: "while closed" });
  });

  it("words a photo, a sticker or a file in each device's language", async () => {
    // One member on three devices: a Japanese phone, a Korean tablet, and one registered without a language.
    const [ja, ko, unsaid] = await Promise.all([1, 2, 3].map(() => signedIn(server, "smith@demo.example")));
    const smithId = (await ja!.get("/api/v1/me")).json.member.id as string;
    const devices = { ja: await subscribeDevice(ja!, "ja"), ko: await subscribeDevice(ko!, "ko"), en: await subscribeDevice(unsaid!) };
    const friend = await lineFriendOf(ja!, "Media Friend");
    await expect.poll(() => liveStreams(smithId), { timeout: 15_000 }).toBe(0);
    const emu = emulatorOf(server);
    const bodies = async (lang: keyof typeof devices) => (await push.notifications(devices[lang].clientHash)).map((n) => JSON.parse(n).body as string);
    const sendAndWait = async (message: Parameters<typeof emu.sendMessage>[2], count: number) => {
      await emu.sendMessage(friend.userId, channelId, message);
      await server.worker.drain();
      for (const lang of ["ja", "ko", "en"] as const) await expect.poll(() => bodies(lang), { timeout: 15_000 }).toHaveLength(count);
    };

    const pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    await sendAndWait({ type: "image", contentBase64: pixel, contentType: "image/png" }, 1);
    await sendAndWait({ type: "sticker", packageId: "446", stickerId: "1990" }, 2);
    await sendAndWait({ type: "file", contentBase64: Buffer.from("%PDF-1.4\n").toString("base64"), contentType: "application/pdf", fileName: "見積書.pdf" }, 3);
    expect(await bodies("ja")).toEqual(["[画像]", "[スタンプ]", "[ファイル] 見積書.pdf"]);
    expect(await bodies("ko")).toEqual(["[이미지]", "[스티커]", "[파일] 見積書.pdf"]);
    expect(await bodies("en")).toEqual(["[Image]", "[Sticker]", "[File] 見積書.pdf"]);

    // Switching the web app to Korean registers the device again: its next push is in Korean.
    expect((await ja!.put("/api/v1/push/subscription", { endpoint: devices.ja.endpoint, keys: devices.ja.keys, language: "ko" })).status).toBe(204);
    await sendAndWait({ type: "sticker", packageId: "446", stickerId: "1988" }, 4);
    expect((await bodies("ja")).at(-1)).toBe("[스티커]");
    expect((await ja!.put("/api/v1/push/subscription", { endpoint: devices.ja.endpoint, keys: devices.ja.keys, language: "fr" })).status).toBe(400);
    await Promise.all([ja, ko, unsaid].map((c) => c!.delete("/api/v1/session")));
  });

  it("ends with the sign-in that made the subscription; a gone subscription is dropped", async () => {
    const smith = await signedIn(server, "smith@demo.example");
    const other = await signedIn(server, "smith@demo.example");
    const friend = await lineFriendOf(smith, "Leaving Friend");
    const kept = await subscribeDevice(other);
    const revoked = await subscribeDevice(smith);
    expect((await smith.delete("/api/v1/session")).status).toBe(204);
    const rows = await server.db.query<{ endpoint: string }>("SELECT endpoint FROM push_subscriptions ORDER BY endpoint");
    expect(rows.map((r) => r.endpoint)).toContain(kept.endpoint);
    expect(rows.map((r) => r.endpoint)).not.toContain(revoked.endpoint);

    // The push service says the device unsubscribed (410): the subscription is removed.
    await fetch(`${push.url}/expire-subscription/${kept.clientHash}`, { method: "POST" });
    await emulatorOf(server).sendMessage(friend.userId, channelId, { type: "text", text: "anyone there?" });
    await server.worker.drain();
    const left = await server.db.query("SELECT 1 FROM push_subscriptions WHERE endpoint = $1", [kept.endpoint]);
    expect(left).toHaveLength(0);
    expect(await push.notifications(revoked.clientHash)).toEqual([]);
  });

  it("refuses endpoints that are not a push service's HTTPS address (loopback HTTP only with the emulator's dev tools)", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    const keys = { p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", auth: "tBHItJI5svbpez7KI4CCXg" };
    for (const endpoint of ["http://10.0.0.7/push/abc", "ftp://push.example/abc", "http://push.example/abc"]) {
      const res = await sato.put("/api/v1/push/subscription", { endpoint, keys });
      expect(res.status, endpoint).toBe(400);
    }
    expect((await sato.put("/api/v1/push/subscription", { endpoint: "https://push.example/abc", keys })).status).toBe(204);
    expect((await sato.post("/api/v1/push/unsubscribe", { endpoint: "https://push.example/abc" })).status).toBe(204);
    expect(await server.db.query("SELECT 1 FROM push_subscriptions WHERE endpoint = 'https://push.example/abc'")).toHaveLength(0);
  });
});

describe("e-mail digest", () => {
  const runDigest = async () => {
    await server.db.transaction((tx) => enqueue(tx, server.jobs.get("notifications.digest")!, {}));
    await server.worker.drain();
  };

  it("mails a member the rooms unread for their N minutes, once, in the language they chose", async () => {
    const kim = await signedIn(server, "kim@demo.example");
    const kimEmail = (await kim.get("/api/v1/me")).json.member.email as string;
    const friend = await lineFriendOf(kim, "Waiting Friend");
    expect((await kim.put("/api/v1/me/notifications", { ...DEFAULTS, digestMinutes: 15, language: "ja" })).status).toBe(200);
    await emulatorOf(server).sendMessage(friend.userId, channelId, { type: "text", text: "お返事ください" });
    await server.worker.drain();
    const mails = () => mailRepository.list(server.db, { to: kimEmail }).then((all) => all.filter((m) => m.subject?.includes("未読の LINE メッセージ")));

    // Not yet 15 minutes: nothing.
    await runDigest();
    expect(await mails()).toHaveLength(0);

    aheadMs = 16 * 60_000;
    try {
      await runDigest();
      await expect.poll(mails, { timeout: 15_000 }).toHaveLength(1);
      const [mail] = await mails();
      expect(mail!.subject).toBe("未読の LINE メッセージ（1 件のトークルーム）— Tsunagu");
      expect(mail!.text).toContain("• Waiting Friend (未読 1 件)");
      expect(mail!.text).toContain("お返事ください");
      expect(mail!.text).toContain(`/message/${friend.roomId}`);
      // The same unread room is not mailed twice.
      await runDigest();
      expect(await mails()).toHaveLength(1);
    } finally {
      aheadMs = 0;
      await kim.put("/api/v1/me/notifications", DEFAULTS);
    }
  });

  it("words a room whose last message is a sticker in the digest's language", async () => {
    const kim = await signedIn(server, "kim@demo.example");
    const kimEmail = (await kim.get("/api/v1/me")).json.member.email as string;
    const friend = await lineFriendOf(kim, "Sticker Friend");
    expect((await kim.put("/api/v1/me/notifications", { ...DEFAULTS, digestMinutes: 15, language: "ko" })).status).toBe(200);
    await emulatorOf(server).sendMessage(friend.userId, channelId, { type: "sticker", packageId: "446", stickerId: "1990" });
    await server.worker.drain();
    const mails = () => mailRepository.list(server.db, { to: kimEmail }).then((all) => all.filter((m) => m.text?.includes("• Sticker Friend")));
    aheadMs = 16 * 60_000;
    try {
      await runDigest();
      await expect.poll(mails, { timeout: 15_000 }).toHaveLength(1);
      const [mail] = await mails();
      expect(mail!.text).toContain("• Sticker Friend (읽지 않은 메시지 1개)\n  [스티커]\n");
    } finally {
      aheadMs = 0;
      await kim.put("/api/v1/me/notifications", DEFAULTS);
    }
  });
});
