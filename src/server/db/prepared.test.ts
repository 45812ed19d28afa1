import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase } from "../../../test/support/fresh-database.ts";
import type { Database } from "./database.ts";
import { prepared } from "./prepared.ts";

let db: Database;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ db, dispose } = await openTestDatabase());
});
afterAll(() => dispose());

const SUM = "SELECT $1::int + $2::int AS n";

describe("prepared statements", () => {
  it("answer like any statement, with their own values each time, on either database", async () => {
    for (let i = 0; i < 8; i++) expect(await db.query<{ n: number }>(prepared(SUM), [i, 1])).toEqual([{ n: i + 1 }]);
  });

  it.runIf(!!process.env.TEST_DATABASE_URL)("are parsed once per PostgreSQL connection, and plain statements are not kept", async () => {
    // One connection: a transaction's statements all run on the connection it began on.
    const kept = await db.transaction(async (tx) => {
      await tx.query(prepared(SUM), [1, 2]);
      await tx.query(prepared(SUM), [3, 4]);
      await tx.query("SELECT $1::int - $2::int AS n", [5, 6]);
      return tx.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql ORDER BY statement");
    });
    expect(kept.map((r) => r.statement)).toEqual([SUM]);
  });

  it("refuses texts beyond a fixed set: a statement built from values must not leak one prepared statement per call", () => {
    expect(() => {
      for (let i = 0; i < 1000; i++) prepared(`SELECT ${i} AS n`);
    }).toThrow(/distinct statements; is one built from values\?/);
  });
});
