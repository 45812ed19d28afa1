import { describe, expect, it } from "vitest";
import { foldForSearch, phoneQueryDigits, phoneSearchDigits } from "./normalize.ts";

describe("search normalizer", () => {
  it("folds width, case and katakana to hiragana", () => {
    expect(foldForSearch("ﾀﾅｶ")).toBe(foldForSearch("たなか"));
    expect(foldForSearch("タナカ")).toBe("たなか");
    expect(foldForSearch("ＡＢＣ Corp")).toBe("abc corp");
    expect(foldForSearch("김민수")).toBe("김민수");
  });

  it("treats a query as a phone only with at least 4 digits and phone characters", () => {
    expect(phoneQueryDigits("03-1234")).toEqual(["031234"]);
    expect(phoneQueryDigits("０９０")).toBeUndefined();
    expect(phoneQueryDigits("5678")).toEqual(["5678"]);
    expect(phoneQueryDigits("abc 1234")).toBeUndefined();
  });

  it("stores a full international number in its international and national digits", () => {
    expect(phoneSearchDigits("+81 90-1111-2222")).toBe("819011112222 09011112222");
    expect(phoneSearchDigits("+1 (415) 555-0199")).toBe("14155550199 4155550199");
    // No country code: the country is unknown, so only the digits as typed.
    expect(phoneSearchDigits("090-1111-2222")).toBe("09011112222");
    expect(phoneSearchDigits("ext. 12")).toBe("12");
  });

  it("looks a full international query up by its national form as well", () => {
    expect(phoneQueryDigits("+81 90-1111-2222")).toEqual(["819011112222", "09011112222"]);
    // A piece of an international number is only its digits.
    expect(phoneQueryDigits("+81 90-1111")).toEqual(["81901111"]);
  });
});
