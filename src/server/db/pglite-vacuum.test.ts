import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openPglite, type Database } from "./database.ts";
import { startPgliteVacuum, vacuumTables } from "./pglite-vacuum.ts";

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

describe("PGlite's vacuum (it has no autovacuum)", () => {
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
    expect(await vacuumTables(vacuumed)).toContain("churn");
    const emptied = await size(vacuumed);
    for (let i = 0; i < 3; i++) {
      await burst(vacuumed);
      await vacuumTables(vacuumed);
    }
    // The file holds one burst at most, however many pass through.
    expect(await size(vacuumed)).toBeLessThanOrEqual(Math.max(emptied, first));
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
    await vi.waitFor(() => expect(vacuums.filter((v) => v === "VACUUM churn").length).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 20 });
    await vacuum.stop();
    await burst(db);
    expect(await size(db)).toBeLessThanOrEqual(grown);
  });
});
