import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openPglite, type Database } from "./database.ts";
import { maintainTables, startPgliteVacuum } from "./pglite-vacuum.ts";

const dirs: string[] = [];
const opened: Database[] = [];
async function freshPglite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-vacuum-"));
  dirs.push(dir);
  const db = await openPglite(path.join(dir, "pglite"));
  opened.push(db);
  // A queue-like table: every row goes in and out again, as the webhook intake's do.
  await db.exec("CREATE TABLE churn (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)");
  return db;
}
/** 4,000 rows of ~500 bytes in, then out again: what a burst of acks leaves in the intake. */
const burst = (db: Database) =>
  db.transaction(async (tx) => {
    await tx.query("INSERT INTO churn (body) SELECT repeat(md5(g::text), 16) FROM generate_series(1, 4000) g");
    await tx.query("DELETE FROM churn");
  });
const size = async (db: Database) => (await db.query<{ bytes: number }>("SELECT pg_relation_size('churn') AS bytes"))[0]!.bytes;

afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("PGlite's autovacuum (it has none of its own)", () => {
  it("lets a table that rows pass through reuse its space, which without it grows with every burst", async () => {
    const db = await freshPglite();
    await burst(db);
    const first = await size(db);
    expect(first).toBeGreaterThan(1_000_000);
    await burst(db);
    // Nothing recorded the space the first burst freed: the second went after it.
    expect(await size(db)).toBeGreaterThanOrEqual(2 * first - 8192 * 4);

    const vacuumed = await freshPglite();
    await burst(vacuumed);
    expect((await maintainTables(vacuumed)).vacuumed).toContain("churn");
    const emptied = await size(vacuumed);
    for (let i = 0; i < 3; i++) {
      await burst(vacuumed);
      await maintainTables(vacuumed);
    }
    // The file holds one burst at most, however many pass through.
    expect(await size(vacuumed)).toBeLessThanOrEqual(Math.max(emptied, first));
  });

  it("analyzes a table filled after it was analyzed empty, and leaves alone the tables nothing changed", async () => {
    const db = await freshPglite();
    // As a new install is: the migrations analyzed the table while it was empty.
    await db.exec("CREATE TABLE people (id int PRIMARY KEY, surname text NOT NULL); ANALYZE people");
    await maintainTables(db);
    // 20,000 rows of which one surname in 2,000 is 田中, as an import would bring them.
    await db.exec("INSERT INTO people SELECT g, CASE WHEN g % 2000 = 0 THEN '田中' ELSE 'name' || g END FROM generate_series(1, 20000) g");
    const estimate = async () =>
      (await db.query<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>("EXPLAIN (FORMAT JSON) SELECT * FROM people WHERE surname = '田中'"))[0]!["QUERY PLAN"][0].Plan["Plan Rows"];
    // Without statistics the planner guesses from the table's size alone.
    expect(await estimate()).toBeGreaterThan(40);

    const round = await maintainTables(db);
    expect(round.analyzed.map((a) => a.table)).toContain("people");
    expect(round.vacuumed).toContain("people");
    // ANALYZE read every page of so small a table, so it counted the rows exactly; 田中's own
    // frequency comes from a random sample of 9,000 rows (4.5 田中 expected, sometimes 0 or 1),
    // so its estimate is only bounded, never pinned.
    const [counted] = await db.query<{ reltuples: number }>("SELECT reltuples::float8 AS reltuples FROM pg_class WHERE relname = 'people'");
    expect(counted!.reltuples).toBe(20_000);
    expect(await estimate()).toBeLessThanOrEqual(30);
    // Nothing changed since: the next round does nothing to either table.
    expect(await maintainTables(db)).toEqual({ vacuumed: [], analyzed: [] });
    // A few changes stay under the thresholds; a fifth of the rows rewritten passes the analyze one.
    await db.exec("UPDATE people SET surname = 'x' WHERE id <= 10");
    expect(await maintainTables(db)).toEqual({ vacuumed: [], analyzed: [] });
    await db.exec("UPDATE people SET surname = '田中' WHERE id <= 4000");
    // Resting (after a long ANALYZE) it waits; its changes are still counted for the next round.
    expect((await maintainTables(db, { resting: (t) => t === "people" })).analyzed).toEqual([]);
    expect(await estimate()).toBeLessThan(100);
    expect((await maintainTables(db)).analyzed.map((a) => a.table)).toEqual(["people"]);
    expect(await estimate()).toBeGreaterThan(3000);
  });

  it("leaves a table being filled (an import) alone until the filling stops", async () => {
    const db = await freshPglite();
    await db.exec("CREATE TABLE filled (id int PRIMARY KEY, body text NOT NULL)");
    await maintainTables(db, { first: true });
    // Far past the thresholds of an empty table, for VACUUM (1,000 inserts) and for ANALYZE (50).
    await db.exec("INSERT INTO filled SELECT g, 'x' FROM generate_series(1, 5000) g");
    const filling = await maintainTables(db, { filling: (t) => t === "filled" });
    expect(filling.vacuumed).not.toContain("filled");
    expect(filling.analyzed.map((a) => a.table)).not.toContain("filled");
    const stopped = await maintainTables(db, { filling: () => false });
    expect(stopped.vacuumed).toContain("filled");
    expect(stopped.analyzed.map((a) => a.table)).toContain("filled");
  });

  it("vacuums every table and analyzes those without statistics in the first round after a start, as PGlite forgets its counts when it closes", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-vacuum-"));
    dirs.push(dir);
    const before = await openPglite(path.join(dir, "pglite"));
    await before.exec("CREATE TABLE people (id int PRIMARY KEY, surname text NOT NULL); ANALYZE people");
    await before.exec("INSERT INTO people SELECT g, CASE WHEN g % 2000 = 0 THEN '田中' ELSE 'name' || g END FROM generate_series(1, 20000) g");
    // A table analyzed with its rows in it keeps its statistics, and is not analyzed again.
    await before.exec("CREATE TABLE kept AS SELECT g AS id FROM generate_series(1, 5000) g; ANALYZE kept");
    // The process ends before its next round: the 20,000 inserts were counted, and that count is lost.
    await before.close();
    const db = await openPglite(path.join(dir, "pglite"));
    opened.push(db);
    expect((await maintainTables(db)).analyzed).toEqual([]);
    const round = await maintainTables(db, { first: true });
    expect(round.analyzed.map((a) => a.table)).toEqual(["people"]);
    expect(round.vacuumed).toEqual(["kept", "people"]);
    const [plan] = await db.query<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>("EXPLAIN (FORMAT JSON) SELECT * FROM people WHERE surname = '田中'");
    expect(plan!["QUERY PLAN"][0].Plan["Plan Rows"]).toBeLessThanOrEqual(30);
  });

  it("runs by itself in the background, and a failing round neither throws nor stops the next", async () => {
    const db = await freshPglite();
    const vacuums: string[] = [];
    let failNext = true;
    // The real database, with its VACUUM statements counted (and the first one failed on purpose).
    const watched: Database = {
      ...db,
      query: db.query,
      exec: async (sql) => {
        if (sql.startsWith("VACUUM")) {
          vacuums.push(sql);
          if (failNext) {
            failNext = false;
            throw new Error("disk full, say");
          }
        }
        await db.exec(sql);
      },
    };
    const warn = vi.fn();
    const log = Object.assign(pino({ level: "silent" }), { warn });
    const vacuum = startPgliteVacuum(watched, log, 10);
    await burst(db);
    const grown = await size(db);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1), { timeout: 30_000, interval: 20 });
    // A later round vacuumed the table: a burst now reuses the space the last one freed.
    await vi.waitFor(() => expect(vacuums.filter((v) => /^VACUUM .*churn$/.test(v)).length).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 20 });
    await vacuum.stop();
    await burst(db);
    expect(await size(db)).toBeLessThanOrEqual(grown);
  });
});
