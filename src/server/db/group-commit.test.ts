import { describe, expect, it } from "vitest";
import { createGroupCommit } from "./group-commit.ts";

/** A write that the test finishes by hand, so what runs together is decided by the test, not by timing. */
function gatedWrites() {
  const calls: { items: string[]; finish(): void; fail(err: Error): void }[] = [];
  const write = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items, finish: () => resolve(items.map((i) => `stored ${i}`)), fail: reject });
    });
  return { calls, write };
}

describe("group commit", () => {
  it("writes what arrives while a write is in flight together in the next one, and answers each caller with its own result", async () => {
    const { calls, write } = gatedWrites();
    const group = createGroupCommit({ write, maxBatch: 100, maxInFlight: 1 });
    const a = group.submit("a");
    const b = group.submit("b");
    const c = group.submit("c");
    expect(calls.map((x) => x.items)).toEqual([["a"]]);
    calls[0]!.finish();
    expect(await a).toBe("stored a");
    await Promise.resolve();
    expect(calls.map((x) => x.items)).toEqual([["a"], ["b", "c"]]);
    calls[1]!.finish();
    expect(await Promise.all([b, c])).toEqual(["stored b", "stored c"]);
  });

  it("keeps a batch within maxBatch by weight, but always takes at least one item", async () => {
    const { calls, write } = gatedWrites();
    const group = createGroupCommit({ write, weight: (s: string) => s.length, maxBatch: 5, maxInFlight: 1 });
    const all = ["x", "yyy", "zz", "wwwwwwww", "v"].map((s) => group.submit(s));
    calls[0]!.finish();
    await all[0];
    await Promise.resolve();
    expect(calls[1]!.items).toEqual(["yyy", "zz"]);
    calls[1]!.finish();
    await all[2];
    await Promise.resolve();
    expect(calls[2]!.items).toEqual(["wwwwwwww"]);
    calls[2]!.finish();
    await all[3];
    await Promise.resolve();
    calls[3]!.finish();
    expect(await Promise.all(all)).toEqual(["stored x", "stored yyy", "stored zz", "stored wwwwwwww", "stored v"]);
  });

  it("writes each item of a failed batch again on its own, so only the bad one fails", async () => {
    const writes: string[][] = [];
    const group = createGroupCommit({
      async write(items: string[]) {
        writes.push(items);
        if (items.includes("bad")) throw new Error("foreign key violation");
        return items.map((i) => `stored ${i}`);
      },
      maxBatch: 100,
      maxInFlight: 1,
    });
    const first = group.submit("first");
    const rest = ["good", "bad", "fine"].map((s) => group.submit(s).then((r) => r, (e: Error) => `refused: ${e.message}`));
    expect(await first).toBe("stored first");
    expect(await Promise.all(rest)).toEqual(["stored good", "refused: foreign key violation", "stored fine"]);
    expect(writes).toEqual([["first"], ["good", "bad", "fine"], ["good"], ["bad"], ["fine"]]);
  });

  it("runs up to maxInFlight writes at once", async () => {
    const { calls, write } = gatedWrites();
    const group = createGroupCommit({ write, maxBatch: 100, maxInFlight: 2 });
    const all = ["a", "b", "c", "d"].map((s) => group.submit(s));
    expect(calls.map((x) => x.items)).toEqual([["a"], ["b"]]);
    calls[1]!.finish();
    await all[1];
    await Promise.resolve();
    expect(calls.map((x) => x.items)).toEqual([["a"], ["b"], ["c", "d"]]);
    calls[0]!.finish();
    calls[2]!.finish();
    expect(await Promise.all(all)).toEqual(["stored a", "stored b", "stored c", "stored d"]);
  });
});
