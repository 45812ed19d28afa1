import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorOf } from "../../../test/support/line.ts";
import type { ApiClient } from "../../../test/support/server.ts";
import { TINY_PNG, befriendAs, bootContactsServer, client, lineUserFollowing, type ContactsTestServer } from "./test-support.ts";

/** DESIGN §2.6: a LINE contact's nickname and photo follow the LINE profile; the name the member edited stays. */
let h: ContactsTestServer;
let sato: ApiClient;

beforeAll(async () => {
  h = await bootContactsServer();
  sato = await client(h, "sato@demo.example");
});
afterAll(async () => {
  await h?.stop();
});

const photoOf = async (photoUrl: string) => new Uint8Array(await (await fetch(new URL(photoUrl, h.url), { headers: { cookie: sato.cookie } })).arrayBuffer());

describe("LINE profile sync", () => {
  it("a new LINE name and picture reach the contact's nickname and photo through the connector's profile sync", async () => {
    const before = TINY_PNG([10, 200, 10]);
    const { userId, lineUserId } = await lineUserFollowing(h, "Old Name", before);
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
    const added = (await sato.post(`/api/v1/rooms/${roomId}/contact`)).json.contact;
    expect(await photoOf(added.photoUrl)).toEqual(before);
    const edited = await sato.request("PATCH", `/api/v1/contacts/${added.contactId}`, { contactName: { lastName: "鈴木", firstName: "一郎" } }, { "if-match": `"${added.version}"` });
    expect(edited.status).toBe(200);

    const after = TINY_PNG([250, 250, 0]);
    const emu = emulatorOf(h.server);
    await emu.updateUser(userId, { displayName: "New Name", pictureBase64: Buffer.from(after).toString("base64"), pictureContentType: "image/png" });
    // Block and unblock: the follow makes the connector fetch the profile again.
    await emu.unfollow(userId, h.server.demoLineChannelId!);
    await emu.follow(userId, h.server.demoLineChannelId!);
    await h.drain();

    const synced = (await sato.get(`/api/v1/contacts/${added.contactId}`)).json;
    expect(synced.contactName).toMatchObject({ lastName: "鈴木", firstName: "一郎", nickName: "New Name" });
    expect(synced.linkedLineUser.displayName).toBe("New Name");
    expect(synced.photoUrl).not.toBe(added.photoUrl);
    expect(await photoOf(synced.photoUrl)).toEqual(after);
    // The nickname is searchable under its new value.
    const found = (await sato.get(`/api/v1/contacts?q=${encodeURIComponent("new name")}`)).json.items;
    expect(found.map((c: { contactId: string }) => c.contactId)).toEqual([added.contactId]);
  });

  it("the contact keeps its own copy of the photo when LINE's cached avatar file goes away", async () => {
    const picture = TINY_PNG([1, 100, 200]);
    const { lineUserId } = await lineUserFollowing(h, "Copy Keeper", picture);
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
    const c = (await sato.post(`/api/v1/rooms/${roomId}/contact`)).json.contact;
    const [lu] = await h.server.db.query<{ picture_file_key: string }>("SELECT picture_file_key FROM line_users WHERE id = $1", [lineUserId]);
    const { localFileStore } = await import("../files/store.ts");
    const path = await import("node:path");
    await localFileStore(path.join(h.server.dataDir, "files")).remove(lu!.picture_file_key);
    expect(await photoOf(c.photoUrl)).toEqual(picture);
  });

  it("a contact added before the avatar was downloaded gets the photo once it is", async () => {
    const emu = emulatorOf(h.server);
    const picture = TINY_PNG([77, 77, 77]);
    const { userId, lineUserId } = await lineUserFollowing(h, "Late Avatar");
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
    const c = (await sato.post(`/api/v1/rooms/${roomId}/contact`)).json.contact;
    expect(c.photoUrl).toBeNull();
    await emu.updateUser(userId, { pictureBase64: Buffer.from(picture).toString("base64"), pictureContentType: "image/png" });
    await emu.unfollow(userId, h.server.demoLineChannelId!);
    await emu.follow(userId, h.server.demoLineChannelId!);
    await h.drain();
    const synced = (await sato.get(`/api/v1/contacts/${c.contactId}`)).json;
    expect(synced.contactName.nickName).toBe("Late Avatar");
    expect(await photoOf(synced.photoUrl)).toEqual(picture);
  });
});
