import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import { befriendAs, bootContactsServer, client, lineUserFollowing, type ContactsTestServer } from "../contacts/test-support.ts";

/**
 * The message list's search folds text like contact search (one normalizer,
 * src/server/search/normalize.ts): a room is found by its LINE user's display name, and by what
 * finds the member's own contact of that LINE user — its reading in any kana, its phone in any
 * common format. A contact the member does not see lends the room nothing.
 */
let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;
const rooms: Record<string, string> = {};

beforeAll(async () => {
  h = await bootContactsServer();
  [sato, kim] = await Promise.all([client(h, "sato@demo.example"), client(h, "kim@demo.example")]);
  // 田中 has a contact with a reading and a phone; ﾔﾏﾀﾞ is only a half-width LINE name; 鈴木 has a
  // contact only Kim sees.
  for (const [key, name] of [["tanaka", "田中"], ["yamada", "ﾔﾏﾀﾞ"], ["suzuki", "鈴木"]] as const) {
    const { lineUserId } = await lineUserFollowing(h, name);
    rooms[key] = (await befriendAs(h, "sato@demo.example", lineUserId)).roomId;
    if (key === "suzuki") {
      const kimRoom = (await befriendAs(h, "kim@demo.example", lineUserId)).roomId;
      const added = await kim.post(`/api/v1/rooms/${kimRoom}/contact`);
      const edited = await kim.request(
        "PATCH",
        `/api/v1/contacts/${added.json.contact.contactId}`,
        { contactName: { phoneticLastName: "スズキ" } },
        { "if-match": `"${added.json.contact.version}"` },
      );
      expect(edited.status).toBe(200);
    }
  }
  const added = await sato.post(`/api/v1/rooms/${rooms.tanaka}/contact`);
  const edited = await sato.request(
    "PATCH",
    `/api/v1/contacts/${added.json.contact.contactId}`,
    { contactName: { phoneticLastName: "たなか" }, telephones: [{ type: "MOBILE", telephone: "+81 90-5555-6666", primary: true }] },
    { "if-match": `"${added.json.contact.version}"` },
  );
  expect(edited.status).toBe(200);
});
afterAll(async () => {
  await h?.stop();
});

const found = async (api: ApiClient, q: string) => {
  const res = await api.get(`/api/v1/rooms?q=${encodeURIComponent(q)}`);
  expect(res.status).toBe(200);
  return (res.json.items as { id: string }[]).map((r) => r.id).sort();
};

describe("message list search", () => {
  it("finds a room by its contact's reading in hiragana, katakana or half-width, like contact search", async () => {
    for (const q of ["タナカ", "たなか", "ﾀﾅｶ", "田中"]) {
      expect(await found(sato, q)).toEqual([rooms.tanaka]);
      expect((await sato.get(`/api/v1/contacts?q=${encodeURIComponent(q)}`)).json.items).toHaveLength(1);
    }
  });

  it("folds the LINE display name itself", async () => {
    for (const q of ["やまだ", "ヤマダ", "ﾔﾏﾀﾞ"]) expect(await found(sato, q)).toEqual([rooms.yamada]);
  });

  it("finds a room by its contact's phone in any common format", async () => {
    for (const q of ["090-5555", "09055556666", "+81 90-5555-6666"]) expect(await found(sato, q)).toEqual([rooms.tanaka]);
  });

  it("does not match through a contact the member cannot see", async () => {
    expect(await found(sato, "すずき")).toEqual([]);
    expect(await found(sato, "鈴木")).toEqual([rooms.suzuki]);
    expect(await found(kim, "すずき")).toHaveLength(1);
  });
});
