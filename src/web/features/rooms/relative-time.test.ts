import { describe, expect, it } from "vitest";
import { fileSize, relativeTime } from "./relative-time.ts";

describe("relativeTime", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");
  it("says now under a minute, then the largest whole unit", () => {
    expect(relativeTime("2026-01-10T11:59:30Z", "en", now)).toBe("now");
    expect(relativeTime("2026-01-10T11:55:00Z", "en", now)).toBe("5 minutes ago");
    expect(relativeTime("2026-01-10T09:00:00Z", "en", now)).toBe("3 hours ago");
    expect(relativeTime("2026-01-09T12:00:00Z", "en", now)).toBe("yesterday");
  });
  it("speaks the UI language", () => {
    expect(relativeTime("2026-01-10T11:55:00Z", "ja", now)).toBe("5 分前");
  });
});

describe("fileSize", () => {
  it("uses B, KB and MB", () => {
    expect(fileSize(820)).toBe("820 B");
    expect(fileSize(14_540)).toBe("14.2 KB");
    expect(fileSize(3_250_000)).toBe("3.1 MB");
  });
});
