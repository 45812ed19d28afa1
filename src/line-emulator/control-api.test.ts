import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EmulatorApiError, EmulatorControlClient } from "./control-client.ts";
import { startLineEmulator } from "./emulator.ts";
import { testChannel } from "./test-receiver.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "line-emu-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("control API and persistence", () => {
  it("keeps personas, friendships and chats across a restart", async () => {
    const stateFile = path.join(dir, "line-emulator.json");
    const channel = testChannel();
    const first = await startLineEmulator({ port: 0, stateFile });
    const control = new EmulatorControlClient(first.url);
    await control.registerChannel(channel);
    await control.registerChannel(channel); // idempotent
    const user = await control.createUser({ displayName: "Aoi", statusMessage: "busy" });
    await control.follow(user.userId, channel.channelId);
    const sent = await control.sendMessage(user.userId, channel.channelId, { type: "text", text: "remember me" });
    expect(sent.delivery).toBeUndefined(); // no webhook URL yet
    await first.close();

    const second = await startLineEmulator({ port: 0, stateFile });
    try {
      const again = new EmulatorControlClient(second.url);
      expect(await again.users()).toEqual([expect.objectContaining({ userId: user.userId, displayName: "Aoi", statusMessage: "busy" })]);
      expect((await again.chat(user.userId, channel.channelId)).map((e) => e.message.text)).toEqual(["remember me"]);
      const res = await fetch(`${second.url}/v2/bot/profile/${user.userId}`, { headers: { authorization: `Bearer ${channel.accessToken}` } });
      expect(res.status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it("answers unknown users and invalid input with JSON errors", async () => {
    const emu = await startLineEmulator({ port: 0 });
    try {
      const control = new EmulatorControlClient(emu.url);
      const channel = testChannel();
      await control.registerChannel(channel);
      const missing = await control.follow("U" + "0".repeat(32), channel.channelId).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(EmulatorApiError);
      expect((missing as EmulatorApiError).status).toBe(404);
      const bad = await control.createUser({ displayName: "" }).catch((e: unknown) => e);
      expect((bad as EmulatorApiError).status).toBe(400);
      const stranger = await control.createUser({ displayName: "Stranger" });
      const notFriend = await control.sendMessage(stranger.userId, channel.channelId, { type: "text", text: "hi" }).catch((e: unknown) => e);
      expect((notFriend as EmulatorApiError).status).toBe(409);
    } finally {
      await emu.close();
    }
  });
});
