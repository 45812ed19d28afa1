import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addFriendThroughLink } from "../../../test/support/line.ts";
import { lineEvent, lineUserId, postWebhook, TEST_CHANNEL, waitFor, webhookBody } from "../../../test/support/line-webhooks.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { EmulatorControlClient } from "../../line-emulator/control-client.ts";
import { startLineEmulator, type LineEmulator } from "../../line-emulator/emulator.ts";
import { lineRepository } from "./repository.ts";

/**
 * Issue 11 in LINE_MODE=live against a LINE stand-in on its own origin (the emulator, started
 * apart as a real LINE would be): the bot's basic ID comes from GET /v2/bot/info at start and on
 * every channel save, so the chat link after LINE Login is never `https://line.me/R/oaMessage//`;
 * outbound messages keep LINE's `sentMessages[].id`; standby events get no answer.
 */
let line: LineEmulator;
let control: EmulatorControlClient;
let server: TestServer;
let sato: ApiClient;
let admin: ApiClient;
const channelId = TEST_CHANNEL.LINE_CHANNEL_ID;
const BASIC_ID = "@live1234";

const emulatorChannel = (webhookUrl?: string) => ({
  channelId,
  channelSecret: TEST_CHANNEL.LINE_CHANNEL_SECRET,
  accessToken: TEST_CHANNEL.LINE_CHANNEL_ACCESS_TOKEN,
  basicId: BASIC_ID,
  botName: "Live Company",
  loginChannelId: TEST_CHANNEL.LINE_LOGIN_CHANNEL_ID,
  loginChannelSecret: TEST_CHANNEL.LINE_LOGIN_CHANNEL_SECRET,
  ...(webhookUrl ? { webhookUrl } : {}),
});

beforeAll(async () => {
  line = await startLineEmulator({ port: 0 });
  control = new EmulatorControlClient(line.url);
  await control.registerChannel(emulatorChannel());
  server = await bootServer({
    LINE_MODE: "live",
    // The test server is plain http; the stand-in, not LINE, fetches from it.
    LINE_ALLOW_INSECURE_PUBLIC_URL: "1",
    LINE_API_BASE_URL: line.url,
    LINE_DATA_API_BASE_URL: line.url,
    LINE_LOGIN_BASE_URL: line.url,
    LINE_AUTHORIZE_BASE_URL: line.url,
    // The stand-in serves profile pictures from its own origin.
    LINE_PICTURE_HOSTS: `profile.line-scdn.net,${line.url}`,
    ...TEST_CHANNEL,
  });
  await control.registerChannel(emulatorChannel(`${server.url}/line/webhook/${channelId}`));
  [sato, admin] = await Promise.all([signedIn(server, "sato@demo.example"), signedIn(server, "admin@demo.example")]);
});
afterAll(async () => {
  await server?.stop();
  await line?.close();
});

const channelRow = () => lineRepository.channelByLineId(server.db, channelId);

describe("LINE_MODE=live", () => {
  it("tells administrators that the public URL is not HTTPS and was allowed by the override", async () => {
    const state = await admin.get("/api/v1/admin/line/public-url");
    expect(state.status).toBe(200);
    expect(state.json).toEqual({ lineMode: "live", publicBaseUrl: server.url, https: false, insecureAllowed: true });
    expect((await sato.get("/api/v1/admin/line/public-url")).status).toBe(403);
  });

  it("learns the bot's basic ID at start, so LINE Login ends in the account's chat", async () => {
    await waitFor(async () => (await channelRow())?.basic_id === BASIC_ID, 15_000, "the basic ID from GET /v2/bot/info");
    expect((await channelRow())?.bot_name).toBe("Live Company");
    const user = await control.createUser({ displayName: "Live Friend", language: "en" });
    const { url } = (await sato.get("/api/v1/invitations/me")).json;
    const done = await addFriendThroughLink(url, user.userId);
    expect(done.location).toBe("https://line.me/R/oaMessage/%40live1234/");
  });

  it("fetches the bot info again on every channel save", async () => {
    await control.registerChannel({ ...emulatorChannel(`${server.url}/line/webhook/${channelId}`), basicId: "@renamed99", botName: "Renamed Co" });
    const id = (await channelRow())!.id;
    const saved = await admin.patch(`/api/v1/admin/line/channels/${id}`, { mode: "shared" });
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({ basicId: "@renamed99", botName: "Renamed Co" });
  });

  it("stores LINE's sentMessages id of an outbound message, not the request id", async () => {
    const user = await control.createUser({ displayName: "Id Keeper", language: "en" });
    const { url } = (await sato.get("/api/v1/invitations/me")).json;
    await addFriendThroughLink(url, user.userId);
    await server.worker.drain();
    const room = ((await sato.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find((r) => r.lineUser.displayName === "Id Keeper")!;
    const sent = await sato.post(`/api/v1/rooms/${room.id}/messages`, { type: "text", text: "which id?" });
    expect(sent.status).toBe(201);
    await server.worker.drain();
    const [row] = await server.db.query<{ line_message_id: string | null; delivery_state: string }>("SELECT line_message_id, delivery_state FROM messages WHERE id = $1", [sent.json.id]);
    const onLine = (await control.chat(user.userId, channelId)).find((e) => e.message.text === "which id?")!;
    expect(row).toEqual({ line_message_id: onLine.id, delivery_state: "sent" });
  });

  it("does not answer or act on a standby event (another channel is the active one)", async () => {
    // A LINE user talking to the active channel; this account only reads along.
    const user = { userId: lineUserId() };
    const before = (await control.requests()).filter((r) => r.path.startsWith("/v2/bot/message/")).length;
    const standby = lineEvent("message", user.userId, Date.now(), { mode: "standby", message: { id: "990001", type: "text", text: "sato", quoteToken: "q" } });
    delete (standby as { replyToken?: string }).replyToken;
    const res = await postWebhook(server.url, channelId, webhookBody([standby]));
    expect(res.status).toBe(200);
    await waitFor(
      async () => (await server.db.query<{ state: string }>("SELECT state FROM webhook_events WHERE webhook_event_id = $1", [standby.webhookEventId]))[0]?.state === "processed",
      15_000,
      "the standby event to be processed",
    );
    await server.worker.drain();
    // The Message ID in it befriended no one and nothing was said to the user.
    const lineUser = (await lineRepository.lineUserByUserId(server.db, (await channelRow())!.id, user.userId))!;
    expect(await server.db.query("SELECT id FROM friendships WHERE line_user_id = $1", [lineUser.id])).toEqual([]);
    expect((await control.requests()).filter((r) => r.path.startsWith("/v2/bot/message/")).length).toBe(before);
    expect(await control.violations()).toEqual([]);
  });
});
