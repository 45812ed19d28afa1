import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/server.ts";
import type { Queryable } from "../db/database.ts";
import { lineRepository } from "../line/repository.ts";
import { publish } from "../realtime/publish.ts";
import { contactRepository } from "./repository.ts";
import { befriendAs, bootContactsServer, client, lineUserFollowing, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * A row lock taken to serialise writers (a LINE user's events, a tenant's quota check) must not
 * stop other transactions from inserting rows that reference the locked row: their foreign-key
 * checks take FOR KEY SHARE, which FOR UPDATE blocks and FOR NO KEY UPDATE does not. With FOR
 * UPDATE on both, a LINE user's follow (holding the line_users row, then publishing to the tenant)
 * and Add LINE Contact (holding the tenant row, then inserting a contact that references the LINE
 * user) deadlocked on PostgreSQL and one of them failed — a 500 in CI. PGlite has one connection,
 * so nothing there can wait on another transaction.
 */
const onPostgres = !!process.env.TEST_DATABASE_URL;
let h: ContactsTestServer;
let sato: ApiClient;

beforeAll(async () => {
  if (!onPostgres) return;
  h = await bootContactsServer();
  sato = await client(h, "sato@demo.example");
});
afterAll(async () => {
  await h?.stop();
});

/** Runs `hold` in a transaction and keeps it open until `meanwhile` has settled, which must not wait for it. */
async function whileHeld(hold: (tx: Queryable) => Promise<unknown>, meanwhile: () => Promise<void>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const tx = h.server.db.transaction(async (t) => {
    await hold(t);
    held();
    await released;
  });
  await holding;
  try {
    // A blocked statement would wait for the lock until the holder ends, which it does only after this.
    await Promise.race([
      meanwhile(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("waited 10 s on the held row lock")), 10_000).unref()),
    ]);
  } finally {
    release();
    await tx;
  }
}

describe.runIf(onPostgres)("serialising row locks (PostgreSQL)", () => {
  it("Add LINE Contact goes through while the LINE user's events hold their row", async () => {
    const { lineUserId } = await lineUserFollowing(h, "Locked While Adding");
    const { roomId } = await befriendAs(h, "sato@demo.example", lineUserId);
    await whileHeld(
      (tx) => lineRepository.lockLineUser(tx, lineUserId),
      async () => {
        expect((await sato.post(`/api/v1/rooms/${roomId}/contact`)).status).toBe(201);
      },
    );
  });

  it("a quota check holds up no other write of the tenant: a live event is published meanwhile", async () => {
    const satoId = await memberId(h, "sato@demo.example");
    const [sato] = await h.server.db.query<{ tenant_id: string }>("SELECT tenant_id FROM members WHERE id = $1", [satoId]);
    const tenantId = sato!.tenant_id;
    await whileHeld(
      (tx) => contactRepository.lockedCount(tx, tenantId),
      () => h.server.db.transaction((tx) => publish(tx, { tenantId, memberIds: [satoId], type: "room.updated", data: {} })),
    );
  });
});
