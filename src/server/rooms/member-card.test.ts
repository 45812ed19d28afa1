import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { DEMO_PASSWORD, bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import type { ChatEntry } from "../../line-emulator/state.ts";
import { directoryRepository } from "../directory/repository.ts";
import { pickerMessage } from "./member-picker.ts";

/**
 * Issue 11: once connected, the LINE user sees the member — a Flex card with the directory photo,
 * name and the company name as status line, then a greeting in the LINE user's one language —
 * and a LINE user with several members picks between them with quick replies, in that language.
 */
let server: TestServer;
let sato: ApiClient;
let channelId: string;

beforeAll(async () => {
  server = await bootServer();
  channelId = server.demoLineChannelId!;
  sato = await signedIn(server, "sato@demo.example");
});
afterAll(async () => {
  await server?.stop();
});

const botMessages = async (userId: string) => (await emulatorOf(server).chat(userId, channelId)).filter((m) => m.from === "bot" && m.delivered);
type Flex = { type: "flex"; altText: string; contents: { hero?: { url: string }; body: { contents: { text: string }[] } } };
type QuickReply = { text: string; quickReply: { items: { action: { label: string; data: string; displayText: string } }[] } };

async function friendByLink(member: ApiClient, name: string, language: string) {
  const user = await emulatorOf(server).createUser({ displayName: name, language });
  const { url } = (await member.get("/api/v1/invitations/me")).json;
  await addFriendThroughLink(url, user.userId);
  await server.worker.drain();
  return user.userId;
}

describe("the member's card on LINE", () => {
  it("after adding a member by link, the LINE user gets the card (photo, name, company) and a greeting in their language, from the member", async () => {
    const userId = await friendByLink(sato, "Card Viewer", "ja");
    const [card, greeting] = (await botMessages(userId)).slice(-2) as [ChatEntry, ChatEntry];
    const flex = card.message as unknown as Flex;
    expect(flex.type).toBe("flex");
    expect(flex.altText).toBe("佐藤 花子 · Demo Company");
    expect(flex.contents.body.contents.map((c) => c.text)).toEqual(["佐藤 花子", "Demo Company"]);
    expect(card.sender).toMatchObject({ name: "佐藤 花子" });
    if (card.sender?.iconUrl) expect(flex.contents.hero?.url).toBe(card.sender.iconUrl);
    expect(greeting.message).toMatchObject({ type: "text", text: "Demo Companyの佐藤 花子です。このトークに送っていただいたメッセージは私に届きます。" });
    expect(greeting.sender).toMatchObject({ name: "佐藤 花子" });

    // The member's room keeps what the LINE user was shown: the card, then the greeting as sent.
    const room = ((await sato.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find((r) => r.lineUser.displayName === "Card Viewer")!;
    const history = ((await sato.get(`/api/v1/rooms/${room.id}/messages`)).json.items as Record<string, unknown>[]).reverse();
    expect(history).toMatchObject([
      { direction: "outbound", type: "system", payload: { event: "card_sent", memberName: "佐藤 花子", company: "Demo Company" }, deliveryState: "sent", senderMemberId: null },
      { direction: "outbound", type: "system", payload: { event: "greeting_sent", text: "Demo Companyの佐藤 花子です。このトークに送っていただいたメッセージは私に届きます。" }, deliveryState: "sent" },
    ]);
    // Not written by the member and not news to them: no unread count, and the room list still waits for the LINE user's first word.
    expect((await sato.get(`/api/v1/rooms/${room.id}`)).json).toMatchObject({ unreadCount: 0, lastMessageType: null });
  });

  it("speaks the company's language, set by the administrator, to a LINE user whose language it has no words for", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const settings = (await admin.get("/api/v1/me")).json.tenant.lineAccount;
    expect(settings).toEqual({ language: "en", readReceipts: true, typing: true });
    expect((await admin.put("/api/v1/admin/line-account", { ...settings, language: "ko" })).status).toBe(200);
    try {
      const userId = await friendByLink(sato, "Francophone", "fr");
      expect((await botMessages(userId)).at(-1)!.message).toMatchObject({ text: "Demo Company의 佐藤 花子입니다. 이 대화방에 보내 주신 메시지는 저에게 전달됩니다." });
    } finally {
      await admin.put("/api/v1/admin/line-account", settings);
    }
  });

  it("a Message ID search connects with the card and an English greeting for an English LINE user; a language without words falls back to the company's", async () => {
    const emu = emulatorOf(server);
    for (const [language, expected] of [
      ["en", "Hello, this is 佐藤 花子 of Demo Company. Messages you send in this chat reach me."],
      ["fr", "Hello, this is 佐藤 花子 of Demo Company. Messages you send in this chat reach me."],
      ["ko-KR", "Demo Company의 佐藤 花子입니다. 이 대화방에 보내 주신 메시지는 저에게 전달됩니다."],
    ] as const) {
      const user = await emu.createUser({ displayName: `ID ${language}`, language });
      await emu.follow(user.userId, channelId);
      await emu.sendMessage(user.userId, channelId, { type: "text", text: "sato" });
      await server.worker.drain();
      const texts = (await botMessages(user.userId)).map((m) => (m.message as { type: string; text?: string }).text ?? m.message.type);
      expect(texts.slice(-2)).toEqual(["flex", expected]);
    }
  });
});

describe("the member picker", () => {
  it("pages past 13 members with a 'more' button, in the LINE user's language, and the pick brings that member's card", async () => {
    const tenant = (await directoryRepository.tenantsWithMemberCounts(server.db))[0]!;
    const emu = emulatorOf(server);
    const user = await emu.createUser({ displayName: "Picker User", language: "ja" });
    await emu.follow(user.userId, channelId);
    // 15 members, befriended one after the other by Message ID.
    for (let i = 1; i <= 15; i++) {
      const loginId = `picker${String(i).padStart(2, "0")}`;
      await server.directory.addMember(tenant, null, { loginId, email: `${loginId}@demo.example`, displayName: `担当 ${i}`, role: "member", password: DEMO_PASSWORD });
      await emu.sendMessage(user.userId, channelId, { type: "text", text: loginId });
      await server.worker.drain();
    }
    const offers = (await botMessages(user.userId)).map((m) => m.message as unknown as QuickReply).filter((m) => m.quickReply);
    const last = offers.at(-1)!;
    expect(last.text).toBe("メッセージは現在担当 15に届きます。ほかの担当者と話すには、下から選んでください。");
    expect(last.quickReply.items).toHaveLength(13);
    expect(last.quickReply.items.at(-1)!.action).toMatchObject({ label: "もっと見る", data: "talk_more:12" });
    expect(last.quickReply.items[0]!.action).toMatchObject({ label: "担当 15", displayText: "担当 15と話す" });

    await emu.postback(user.userId, channelId, "talk_more:12");
    await server.worker.drain();
    const more = (await botMessages(user.userId)).at(-1)!.message as unknown as QuickReply;
    expect(more.text).toBe("ほかの担当者です。下から選んでください。");
    expect(more.quickReply.items.map((i) => i.action.label)).toEqual(["担当 3", "担当 2", "担当 1"]);

    await emu.postback(user.userId, channelId, more.quickReply.items[2]!.action.data);
    await server.worker.drain();
    const [card, said] = (await botMessages(user.userId)).slice(-2) as [ChatEntry, ChatEntry];
    expect((card.message as unknown as Flex).contents.body.contents[0]!.text).toBe("担当 1");
    expect(said.message).toMatchObject({ text: "これからのメッセージは担当 1に届きます。" });
    expect(said.sender).toMatchObject({ name: "担当 1" });

    // The picked member's room shows the card and the words the LINE user got with it.
    const picked = await signedIn(server, "picker01@demo.example");
    const room = ((await picked.get("/api/v1/rooms")).json.items as { id: string }[])[0]!;
    const history = (await picked.get(`/api/v1/rooms/${room.id}/messages`)).json.items as { payload: Record<string, unknown> }[];
    expect(history.slice(0, 2).map((m) => m.payload)).toEqual([
      { event: "greeting_sent", text: "これからのメッセージは担当 1に届きます。" },
      { event: "card_sent", memberName: "担当 1", company: "Demo Company" },
    ]);
  });

  it("shows 13 members without paging and cuts long names to LINE's 20-character label", () => {
    const friends = Array.from({ length: 13 }, (_, i) => ({ member_id: `m${i}`, display_name: i === 0 ? "An extremely long member name" : `M ${i}` }));
    const page = pickerMessage(friends, "pick", "en") as unknown as QuickReply;
    expect(page.quickReply.items).toHaveLength(13);
    expect(page.quickReply.items.every((i) => i.action.data.startsWith("talk_to:"))).toBe(true);
    expect(page.quickReply.items[0]!.action.label).toBe("An extremely long m…");
    expect(page.quickReply.items[0]!.action.label).toHaveLength(20);
  });
});
