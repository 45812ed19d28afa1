import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { inVersion, versionFromAccept } from "./vcard-version.ts";

const V4 = [
  "BEGIN:VCARD",
  "VERSION:4.0",
  "UID:urn:uuid:7d3c1a52-0000-4000-8000-000000000001",
  "FN:山田 太郎",
  "N:山田;太郎;;;",
  "EMAIL;TYPE=work;PREF=1:taro@acme.example",
  "TEL;VALUE=text;TYPE=cell;PREF=1:+81 90-1234-5678",
  "ORG:Acme\\, Inc.;Sales",
  "NOTE:two\\nlines",
  "REV:20240102T030405Z",
  "END:VCARD",
].join("\r\n");

describe("vCard versions", () => {
  it("turns the exporter's 4.0 card into 3.0 that reads back to the same values", () => {
    const v3 = inVersion(V4, "3.0");
    expect(v3).toMatch(/^BEGIN:VCARD\r\nVERSION:3\.0\r\n/);
    // 3.0 spells the preferred entry as TYPE=pref, and knows neither VALUE=text on TEL nor VALUE=TIMESTAMP.
    expect(v3).toContain("EMAIL;TYPE=work,pref:taro@acme.example");
    expect(v3).toContain("TEL;TYPE=cell,pref:+81 90-1234-5678");
    expect(v3).not.toMatch(/VALUE=/i);
    expect(v3).not.toMatch(/PREF=1/);
    const card = new ICAL.Component(ICAL.parse(v3) as unknown as unknown[]);
    expect(card.getFirstPropertyValue("fn")).toBe("山田 太郎");
    expect(card.getFirstPropertyValue("org")).toEqual(["Acme, Inc.", "Sales"]);
    expect(card.getFirstPropertyValue("note")).toBe("two\nlines");
    expect(String(card.getFirstPropertyValue("rev"))).toBe("2024-01-02T03:04:05Z");
  });

  it("passes 4.0 through", () => {
    expect(inVersion(V4, "4.0")).toBe(`${V4}\r\n`);
  });

  it("reads the version from Accept, defaulting to 3.0", () => {
    expect(versionFromAccept(undefined)).toBe("3.0");
    expect(versionFromAccept("*/*")).toBe("3.0");
    expect(versionFromAccept("text/vcard; version=4.0")).toBe("4.0");
    expect(versionFromAccept('text/html, text/vcard;version="4.0";q=0.9')).toBe("4.0");
    expect(versionFromAccept("text/vcard")).toBe("3.0");
  });
});
