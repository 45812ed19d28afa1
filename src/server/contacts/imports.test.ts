import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEvents } from "../../../test/support/sse.ts";
import type { ApiClient } from "../../../test/support/server.ts";
import { enqueue } from "../jobs/queue.ts";
import { IMPORT_CHUNK_CARDS } from "./imports.ts";
import { bootContactsServer, client, memberId, type ContactsTestServer } from "./test-support.ts";

/**
 * Issue 4, "heavy work off the event loop": a vCard import runs as a job, a chunk of cards per
 * transaction, reports its progress live to the importer, and never imports a card twice.
 */
let h: ContactsTestServer;
let sato: ApiClient;
let kim: ApiClient;

beforeAll(async () => {
  h = await bootContactsServer();
  [sato, kim] = await Promise.all([client(h, "sato@demo.example"), client(h, "kim@demo.example")]);
});
afterAll(async () => {
  await h?.stop();
});

/** `count` cards named `<tag> <n>`; every 50th has an address that is not an e-mail address and is skipped. */
function cards(tag: string, count: number) {
  let text = "";
  for (let i = 0; i < count; i++) {
    const reach = i % 50 === 49 ? "EMAIL:not-an-address\r\n" : `EMAIL:${tag.toLowerCase()}-${i}@import.example\r\n`;
    text += `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:${tag} ${i}\r\nN:${tag};${i};;;\r\n${reach}END:VCARD\r\n`;
  }
  return text;
}
const post = (api: ApiClient, text: string) =>
  api.request("POST", "/api/v1/contacts/import", new TextEncoder().encode(text), { "content-type": "text/vcard" });
const count = async (sql: string, params: unknown[]) => (await h.server.db.query<{ n: number }>(sql, params))[0]!.n;
/** Contacts made by this import, by the audit rows that say so. */
const importedBy = (importId: string) => count("SELECT count(*) AS n FROM audit_log WHERE action = 'contact.add' AND detail->>'importId' = $1", [importId]);

describe("vCard import in the background", () => {
  it("imports chunk by chunk, telling the importer after each, and reports the skipped cards by name", async () => {
    const total = 2 * IMPORT_CHUNK_CARDS + 50;
    let importId = "";
    const seen = await readEvents(
      `${h.url}/api/v1/events`,
      sato.cookie,
      (ev) => ev.event === "contact_import.progress" && (ev.data as { state: string }).state === "finished",
      {
        timeoutMs: 120_000,
        onOpen: async () => {
          const started = await post(sato, cards("Chunky", total));
          expect(started.status).toBe(202);
          expect(started.json).toMatchObject({ state: "running", total, done: 0, imported: 0, failed: 0, skipped: [], finishedAt: null });
          importId = started.json.importId;
        },
      },
    );
    const progress = seen.filter((e) => e.event === "contact_import.progress").map((e) => e.data);
    expect(progress).toEqual([
      { importId, state: "running", total, done: IMPORT_CHUNK_CARDS, failed: 4 },
      { importId, state: "running", total, done: 2 * IMPORT_CHUNK_CARDS, failed: 8 },
      { importId, state: "finished", total, done: total, failed: 9 },
    ]);
    // Other members who see the new contacts hear of them per chunk, as for any new contact.
    expect(seen.filter((e) => e.event === "contact.created").length).toBeGreaterThanOrEqual(3);

    const report = (await sato.get(`/api/v1/contacts/imports/${importId}`)).json;
    expect(report).toMatchObject({ state: "finished", total, done: total, imported: total - 9, failed: 9, finishedAt: expect.any(String) });
    expect(report.skipped.map((s: { index: number; name: string }) => `${s.index}:${s.name}`)).toEqual(
      [49, 99, 149, 199, 249, 299, 349, 399, 449].map((i) => `${i}:Chunky ${i}`),
    );
    expect(report.skipped[0].errors.join()).toContain("must be an e-mail address");
    expect(await importedBy(importId)).toBe(total - 9);
    const owner = await memberId(h, "sato@demo.example");
    expect(await count("SELECT count(*) AS n FROM contacts c JOIN contact_access a ON a.contact_id = c.id AND a.is_owner WHERE c.last_name = 'Chunky' AND a.member_id = $1", [owner])).toBe(total - 9);
    // The uploaded text is not kept once the import is done.
    expect(await count("SELECT count(*) AS n FROM contact_imports WHERE id = $1 AND source IS NULL", [importId])).toBe(1);
  });

  it("runs of the job repeated for the same import (as after a crash) import no card twice", async () => {
    const total = IMPORT_CHUNK_CARDS + 100;
    const started = await post(sato, cards("Twice", total));
    expect(started.status).toBe(202);
    const { importId } = started.json;
    // Two more runs of the same job: a crash between a chunk's commit and the job's completion leaves one.
    const importJob = h.server.jobs.get("contacts.import")!;
    await enqueue(h.server.db, importJob, { importId });
    await enqueue(h.server.db, importJob, { importId });
    await h.drain();
    const report = (await sato.get(`/api/v1/contacts/imports/${importId}`)).json;
    expect(report).toMatchObject({ state: "finished", done: total, imported: total - 6, failed: 6 });
    expect(report.skipped).toHaveLength(6);
    expect(await importedBy(importId)).toBe(total - 6);
    expect(await count("SELECT count(DISTINCT first_name) AS n FROM contacts WHERE last_name = 'Twice'", [])).toBe(total - 6);
    expect(await count("SELECT count(*) AS n FROM contacts WHERE last_name = 'Twice'", [])).toBe(total - 6);
  });

  it("stops at the company's quota: the cards past it are skipped, saying so", async () => {
    const room = 5;
    const current = await count("SELECT count(*) AS n FROM contacts", []);
    await h.server.db.query("UPDATE tenants SET contact_quota = $1", [current + room]);
    try {
      const started = await post(sato, cards("Quota", 8));
      await h.drain();
      const report = (await sato.get(`/api/v1/contacts/imports/${started.json.importId}`)).json;
      expect(report).toMatchObject({ state: "finished", imported: room, failed: 3 });
      expect(report.skipped.map((s: { index: number }) => s.index)).toEqual([5, 6, 7]);
      expect(report.skipped[0].errors[0]).toMatch(/can keep \d+ contacts/);
    } finally {
      await h.server.db.query("UPDATE tenants SET contact_quota = 100000");
    }
  });

  it("ends as failed, saying how far it got, when its job keeps failing until the queue gives up", async () => {
    // The database refuses card 210's contact on every attempt: a trigger stands in for any error that repeats.
    const db = h.server.db;
    await db.query("CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no room for card %', NEW.first_name; END $$");
    await db.query("CREATE TRIGGER refuse_doomed BEFORE INSERT ON contacts FOR EACH ROW WHEN (NEW.last_name = 'Doomed' AND NEW.first_name = '210') EXECUTE FUNCTION refuse_doomed()");
    try {
      const total = IMPORT_CHUNK_CARDS + 50;
      const started = await post(sato, cards("Doomed", total));
      expect(started.status).toBe(202);
      const { importId } = started.json;
      const job = async () =>
        (await db.query<{ attempts: number; state: string; last_error: string | null }>("SELECT attempts, state, last_error FROM jobs WHERE kind = 'contacts.import' AND payload->>'importId' = $1", [importId]))[0];

      // A failed attempt is retried later, and meanwhile the import still runs.
      await expect.poll(async () => (await job())?.last_error ?? "", { timeout: 60_000 }).toContain("no room for card 210");
      expect((await sato.get(`/api/v1/contacts/imports/${importId}`)).json.state).toBe("running");

      // The queue's last attempt (the job's attempts used up but one) fails as well: the importer hears it ended.
      const seen = await readEvents(
        `${h.url}/api/v1/events`,
        sato.cookie,
        (ev) => ev.event === "contact_import.progress" && (ev.data as { state: string }).state !== "running",
        {
          timeoutMs: 60_000,
          onOpen: async () => {
            await db.query("UPDATE jobs SET max_attempts = attempts + 1, run_at = now() WHERE kind = 'contacts.import' AND payload->>'importId' = $1", [importId]);
            await h.drain();
          },
        },
      );
      expect(seen.at(-1)!.data).toMatchObject({ importId, state: "failed", total });
      expect(await job()).toMatchObject({ state: "dead" });

      // Cards before 210 were taken (a transaction's worth at most short of it); none after.
      const report = (await sato.get(`/api/v1/contacts/imports/${importId}`)).json;
      expect(report).toMatchObject({ state: "failed", total, failed: 4, finishedAt: expect.any(String) });
      expect(report.done).toBeGreaterThanOrEqual(IMPORT_CHUNK_CARDS);
      expect(report.done).toBeLessThanOrEqual(210);
      expect(report.imported).toBe(report.done - 4);
      expect(await importedBy(importId)).toBe(report.done - 4);
      expect(await count("SELECT count(*) AS n FROM contacts WHERE last_name = 'Doomed'", [])).toBe(report.done - 4);
      // Its uploaded text is dropped, and nothing is left queued for it.
      expect(await count("SELECT count(*) AS n FROM contact_imports WHERE id = $1 AND source IS NULL", [importId])).toBe(1);
      expect(await count("SELECT count(*) AS n FROM jobs WHERE payload->>'importId' = $1 AND state <> 'dead'", [importId])).toBe(0);
    } finally {
      await db.query("DROP TRIGGER refuse_doomed ON contacts");
      await db.query("DROP FUNCTION refuse_doomed()");
    }
  });

  it("ends as failed, without running again, when the process running its last attempt stopped", async () => {
    // Card 5 is refused until the test has played the worker that died: the job waits between attempts meanwhile.
    const db = h.server.db;
    await db.query("CREATE FUNCTION refuse_lost() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'not yet'; END $$");
    await db.query("CREATE TRIGGER refuse_lost BEFORE INSERT ON contacts FOR EACH ROW WHEN (NEW.last_name = 'Lost' AND NEW.first_name = '5') EXECUTE FUNCTION refuse_lost()");
    try {
      const started = await post(sato, cards("Lost", 10));
      expect(started.status).toBe(202);
      const { importId } = started.json;
      // What the queue's maintenance leaves of a job whose worker was killed during its last attempt:
      // pending again with its attempts used up (it looks while no attempt is running).
      await expect
        .poll(
          async () =>
            (
              await db.query(
                `UPDATE jobs SET attempts = max_attempts, run_at = now()
                 WHERE kind = 'contacts.import' AND payload->>'importId' = $1 AND state = 'pending' AND last_error LIKE '%not yet%' RETURNING id`,
                [importId],
              )
            ).length,
        )
        .toBe(1);
      await db.query("DROP TRIGGER refuse_lost ON contacts");
      await h.drain();
      const report = (await sato.get(`/api/v1/contacts/imports/${importId}`)).json;
      expect(report).toMatchObject({ state: "failed", total: 10, finishedAt: expect.any(String) });
      // Not run again, though it would now succeed: cards 5–9 were never taken.
      expect(await count("SELECT count(*) AS n FROM contacts WHERE last_name = 'Lost'", [])).toBe(report.imported);
      expect(report.imported).toBeLessThan(10);
      const [job] = await db.query<{ state: string; last_error: string }>("SELECT state, last_error FROM jobs WHERE payload->>'importId' = $1", [importId]);
      expect(job).toMatchObject({ state: "dead", last_error: expect.stringContaining("stopped during its last attempt") });
    } finally {
      await db.query("DROP TRIGGER IF EXISTS refuse_lost ON contacts");
      await db.query("DROP FUNCTION refuse_lost()");
    }
  });

  it("is the importer's own: another member gets 404, and an empty file is refused before anything is queued", async () => {
    const started = await post(sato, cards("Mine", 1));
    expect(started.status).toBe(202);
    expect((await kim.get(`/api/v1/contacts/imports/${started.json.importId}`)).status).toBe(404);
    expect((await sato.get(`/api/v1/contacts/imports/${started.json.importId}`)).status).toBe(200);
    // An import's row and its job commit together, so no new row means nothing was queued
    // (jobs themselves are deleted once done, so their count moves while the first one runs).
    const imports = await count("SELECT count(*) AS n FROM contact_imports", []);
    const empty = await post(sato, "no cards here");
    expect(empty.status).toBe(400);
    expect(empty.json.code).toBe("validation_failed");
    expect(await count("SELECT count(*) AS n FROM contact_imports", [])).toBe(imports);
    await h.drain();
  });
});
