import { describe, expect, it } from "vitest";
import { cardMatches, parseFilter, UnsupportedFilter } from "./query-filter.ts";
import { parseXml } from "./xml.ts";

const CARD = [
  "BEGIN:VCARD",
  "VERSION:4.0",
  "FN:Yamada Taro",
  "N:Yamada;Taro;;;",
  "EMAIL;TYPE=work:taro@ACME.example",
  "EMAIL;TYPE=home:taro@home.example",
  "TEL;VALUE=text:+81 90",
  "END:VCARD",
].join("\r\n");

const filter = (inner: string, test = "") =>
  parseFilter(parseXml(`<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav"${test ? ` test="${test}"` : ""}>${inner}</C:filter>`));

describe("addressbook-query filters", () => {
  it("matches every card without prop-filters, and a prop-filter alone asks that the property exists", () => {
    expect(cardMatches(parseFilter(undefined), CARD)).toBe(true);
    expect(cardMatches(filter('<C:prop-filter name="FN"/>'), CARD)).toBe(true);
    expect(cardMatches(filter('<C:prop-filter name="NICKNAME"/>'), CARD)).toBe(false);
    expect(cardMatches(filter('<C:prop-filter name="NICKNAME"><C:is-not-defined/></C:prop-filter>'), CARD)).toBe(true);
  });

  it("applies text-match types, case-insensitively by default, with negate-condition", () => {
    const tm = (attrs: string, text: string) => filter(`<C:prop-filter name="EMAIL"><C:text-match ${attrs}>${text}</C:text-match></C:prop-filter>`);
    expect(cardMatches(tm("", "acme"), CARD)).toBe(true);
    expect(cardMatches(tm('match-type="starts-with"', "TARO@"), CARD)).toBe(true);
    expect(cardMatches(tm('match-type="ends-with"', "home.example"), CARD)).toBe(true);
    expect(cardMatches(tm('match-type="equals"', "taro@acme.example"), CARD)).toBe(true);
    expect(cardMatches(tm('match-type="equals" collation="i;octet"', "taro@acme.example"), CARD)).toBe(false);
    expect(cardMatches(tm('negate-condition="yes"', "nowhere"), CARD)).toBe(true);
  });

  it("checks parameters, and combines tests with anyof / allof", () => {
    const param = (value: string) => `<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:text-match match-type="equals">${value}</C:text-match></C:param-filter></C:prop-filter>`;
    expect(cardMatches(filter(param("home")), CARD)).toBe(true);
    expect(cardMatches(filter(param("fax")), CARD)).toBe(false);
    const nick = '<C:prop-filter name="NICKNAME"/>';
    expect(cardMatches(filter(param("home") + nick), CARD)).toBe(true);
    expect(cardMatches(filter(param("home") + nick, "allof"), CARD)).toBe(false);
  });

  it("refuses a collation it does not know", () => {
    expect(() => filter('<C:prop-filter name="FN"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter>')).toThrow(UnsupportedFilter);
  });
});
