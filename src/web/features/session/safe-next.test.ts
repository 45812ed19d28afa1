import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next.ts";

describe("safeNext", () => {
  it("keeps same-origin paths with their query", () => {
    expect(safeNext("/contacts?tab=external")).toBe("/contacts?tab=external");
  });

  it.each([null, "", "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/signin?next=/admin"])(
    "sends %j to Message instead",
    (next) => expect(safeNext(next)).toBe("/message"),
  );
});
