import ICAL from "ical.js";
import type { Element } from "@xmldom/xmldom";
import { NS, children, is, qname, textOf } from "./xml.ts";

/**
 * CARDDAV:filter of addressbook-query (RFC 6352 §10.5): prop-filters with is-not-defined,
 * text-match (equals / contains / starts-with / ends-with, negate-condition) and param-filters,
 * combined anyof / allof, under the collations of §8.3.
 */
type Test = "anyof" | "allof";
type MatchType = "equals" | "contains" | "starts-with" | "ends-with";

interface TextMatch {
  value: string;
  collation: Collation;
  matchType: MatchType;
  negate: boolean;
}
interface ParamFilter {
  name: string;
  isNotDefined: boolean;
  textMatch?: TextMatch;
}
interface PropFilter {
  name: string;
  test: Test;
  isNotDefined: boolean;
  textMatches: TextMatch[];
  paramFilters: ParamFilter[];
}
export interface CardFilter {
  test: Test;
  propFilters: PropFilter[];
}

type Collation = (s: string) => string;
const COLLATIONS: Record<string, Collation> = {
  // RFC 4790 / 5051 approximated by Unicode case folding after compatibility decomposition.
  "i;unicode-casemap": (s) => s.normalize("NFKD").toLowerCase(),
  "i;ascii-casemap": (s) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase()),
  "i;octet": (s) => s,
};

/** A filter the server cannot apply; the precondition to name in the 403 answer (RFC 6352 §8.6). */
export class UnsupportedFilter extends Error {
  constructor(
    readonly condition: "supported-collation" | "supported-filter",
    message: string,
  ) {
    super(message);
  }
}

const testOf = (e: Element): Test => (e.getAttribute("test") === "allof" ? "allof" : "anyof");

function textMatchOf(e: Element): TextMatch {
  const collationName = e.getAttribute("collation") || "i;unicode-casemap";
  const collation = COLLATIONS[collationName];
  if (!collation) throw new UnsupportedFilter("supported-collation", `collation ${collationName} is not supported`);
  const matchType = (e.getAttribute("match-type") || "contains") as MatchType;
  if (!["equals", "contains", "starts-with", "ends-with"].includes(matchType)) {
    throw new UnsupportedFilter("supported-filter", `match-type ${matchType} is not supported`);
  }
  return { value: textOf(e), collation, matchType, negate: e.getAttribute("negate-condition") === "yes" };
}

/** Reads a CARDDAV:filter element; no element means every card. */
export function parseFilter(filter: Element | undefined): CardFilter {
  if (!filter) return { test: "anyof", propFilters: [] };
  const propFilters = children(filter)
    .filter((e) => is(e, qname(NS.CARDDAV, "prop-filter")))
    .map((pf): PropFilter => {
      const inner = children(pf);
      return {
        name: (pf.getAttribute("name") ?? "").toLowerCase(),
        test: testOf(pf),
        isNotDefined: inner.some((e) => is(e, qname(NS.CARDDAV, "is-not-defined"))),
        textMatches: inner.filter((e) => is(e, qname(NS.CARDDAV, "text-match"))).map(textMatchOf),
        paramFilters: inner
          .filter((e) => is(e, qname(NS.CARDDAV, "param-filter")))
          .map((e) => {
            const tm = children(e).find((x) => is(x, qname(NS.CARDDAV, "text-match")));
            return {
              name: (e.getAttribute("name") ?? "").toLowerCase(),
              isNotDefined: children(e).some((x) => is(x, qname(NS.CARDDAV, "is-not-defined"))),
              ...(tm && { textMatch: textMatchOf(tm) }),
            };
          }),
      };
    });
  return { test: testOf(filter), propFilters };
}

function textMatches(m: TextMatch, text: string): boolean {
  const hay = m.collation(text);
  const needle = m.collation(m.value);
  const hit =
    m.matchType === "equals"
      ? hay === needle
      : m.matchType === "starts-with"
        ? hay.startsWith(needle)
        : m.matchType === "ends-with"
          ? hay.endsWith(needle)
          : hay.includes(needle);
  return hit !== m.negate;
}

/** A property's value as text: structured parts joined by ";", list values by ",", as written in the card. */
function valueText(p: ICAL.Property): string {
  return p
    .getValues()
    .map((v: unknown) => (Array.isArray(v) ? v.map(String).join(";") : String(v)))
    .join(",");
}

function paramValues(p: ICAL.Property, name: string): string[] | undefined {
  const v = p.getParameter(name) as string | string[] | undefined;
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}

function propFilterMatches(card: ICAL.Component, f: PropFilter): boolean {
  const props = card.getAllProperties(f.name);
  if (f.isNotDefined) return props.length === 0;
  if (!props.length) return false;
  const tests: boolean[] = [
    ...f.textMatches.map((m) => props.some((p) => textMatches(m, valueText(p)))),
    ...f.paramFilters.map((pf) =>
      props.some((p) => {
        const values = paramValues(p, pf.name);
        if (pf.isNotDefined) return values === undefined;
        if (values === undefined) return false;
        return pf.textMatch ? values.some((v) => textMatches(pf.textMatch!, v)) : true;
      }),
    ),
  ];
  // A prop-filter with no tests asks only that the property exists.
  if (!tests.length) return true;
  return f.test === "allof" ? tests.every(Boolean) : tests.some(Boolean);
}

/** Whether one vCard (text) passes the filter. */
export function cardMatches(filter: CardFilter, vcard: string): boolean {
  if (!filter.propFilters.length) return true;
  const card = new ICAL.Component(ICAL.parse(vcard) as unknown as unknown[]);
  const results = filter.propFilters.map((f) => propFilterMatches(card, f));
  return filter.test === "allof" ? results.every(Boolean) : results.some(Boolean);
}
