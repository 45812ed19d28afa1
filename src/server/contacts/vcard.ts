import ICAL from "ical.js";
import { contactLabel, CreateContactBody, type CreateContactInput } from "../../shared/contacts.ts";
import { fieldErrorOf, type FieldError } from "../../shared/problems.ts";
import type { ContactRow } from "./repository.ts";
import { textProblems } from "../../shared/text.ts";

/**
 * vCard 4.0 (RFC 6350) through ical.js, which reads and writes vCard/jCard with RFC escaping and
 * line folding. Phonetic names use the X-PHONETIC-* properties address books (Apple, Android) use.
 */
const EMAIL_TYPES = { WORK: "work", HOME: "home", OTHER: undefined } as const;
const TEL_TYPES = { MOBILE: "cell", WORK: "work", HOME: "home", FAX: "fax", OTHER: undefined } as const;
const PLACE_TYPES = { WORK: "work", HOME: "home", OTHER: undefined } as const;

function add(card: ICAL.Component, name: string, value: string | string[], params: Record<string, string | undefined> = {}) {
  const prop = new ICAL.Property(name);
  prop.setValue(value as unknown as string);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) prop.setParameter(k, v);
  card.addProperty(prop);
  return prop;
}

export function toVcard(r: ContactRow): string {
  const card = new ICAL.Component("vcard");
  card.addPropertyWithValue("version", "4.0");
  card.addPropertyWithValue("uid", `urn:uuid:${r.id}`);
  const fullName = contactLabel({ lastName: r.last_name, firstName: r.first_name, nickName: r.nick_name, emails: r.emails, telephones: r.telephones });
  card.addPropertyWithValue("fn", fullName);
  add(card, "n", [r.last_name, r.first_name, "", "", ""]);
  if (r.phonetic_last_name) card.addPropertyWithValue("x-phonetic-last-name", r.phonetic_last_name);
  if (r.phonetic_first_name) card.addPropertyWithValue("x-phonetic-first-name", r.phonetic_first_name);
  if (r.nick_name) card.addPropertyWithValue("nickname", r.nick_name);
  for (const e of r.emails) add(card, "email", e.email, { type: EMAIL_TYPES[e.type], pref: e.primary ? "1" : undefined });
  for (const t of r.telephones) add(card, "tel", t.telephone, { value: "text", type: TEL_TYPES[t.type], pref: t.primary ? "1" : undefined });
  for (const o of r.organizations) {
    // ORG and TITLE are paired by position, so every organization writes both.
    add(card, "org", [o.name, o.department]);
    card.addPropertyWithValue("title", o.title);
  }
  for (const a of r.addresses) {
    add(card, "adr", ["", "", a.street, a.locality, a.region, a.postalCode, a.country], {
      type: PLACE_TYPES[a.type],
      pref: a.primary ? "1" : undefined,
    });
  }
  for (const w of r.websites) add(card, "url", w.url, { type: PLACE_TYPES[w.type] });
  if (r.memo) card.addPropertyWithValue("note", r.memo);
  if (r.company_tags.length) {
    const prop = new ICAL.Property("categories");
    prop.setValues(r.company_tags);
    card.addProperty(prop);
  }
  card.addPropertyWithValue("rev", r.updated_at.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, ""));
  return card.toString();
}

export const toVcards = (rows: ContactRow[]) => rows.map((r) => `${toVcard(r)}\r\n`).join("");

const typesOf = (p: ICAL.Property): string[] => {
  const t = p.getParameter("type");
  return (Array.isArray(t) ? t : t ? [t] : []).flatMap((x) => String(x).toLowerCase().split(","));
};
const isPref = (p: ICAL.Property) => String(p.getParameter("pref") ?? "") === "1";
const str = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const pick = <K extends string>(types: string[], map: Record<string, K>, fallback: K): K => {
  for (const [vcardType, ours] of Object.entries(map)) if (types.includes(vcardType)) return ours;
  return fallback;
};

/** Splits a text/vcard body into cards, so one broken card does not spoil the others. */
export function splitVcards(text: string): string[] {
  const cards: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^BEGIN:VCARD\s*$/i.test(line)) current = [line];
    else if (current) {
      current.push(line);
      if (/^END:VCARD\s*$/i.test(line)) {
        cards.push(current.join("\r\n"));
        current = undefined;
      }
    }
  }
  if (current) cards.push(current.join("\r\n"));
  return cards;
}

export interface ParsedCard {
  fields?: CreateContactInput;
  errors?: FieldError[];
}

/** A card's FN, read without parsing the card (a broken one too), so a skipped card can be named. */
export function formattedName(card: string): string {
  const line = card.replace(/\r?\n[ \t]/g, "").match(/^FN[;:].*$/im)?.[0];
  return line ? line.slice(line.indexOf(":") + 1).replace(/\\([,;\\])/g, "$1").trim() : "";
}

/** One card → the body a manual contact is created from (validated like POST /contacts). */
export function fromVcard(text: string): ParsedCard {
  let card: ICAL.Component;
  try {
    card = new ICAL.Component(ICAL.parse(text) as unknown as unknown[]);
  } catch (err) {
    return { errors: [{ path: "(card)", message: `not a readable vCard: ${(err as Error).message}`, code: "unreadable_card" }] };
  }
  const all = (name: string) => card.getAllProperties(name);
  const first = (name: string) => str(card.getFirstPropertyValue(name));
  const n = (card.getFirstPropertyValue("n") as unknown as string[] | null) ?? [];
  // Address books that write only FN (or an empty N) still name the person: FN becomes the name.
  const named = str(n[0]) || str(n[1]);
  const fn = first("fn").trim();
  const orgs = all("org");
  const titles = all("title");
  const categories = all("categories").flatMap((p) => p.getValues().map(str));
  const candidate = {
    contactName: {
      lastName: named ? str(n[0]) : fn,
      firstName: named ? str(n[1]) : "",
      phoneticLastName: first("x-phonetic-last-name"),
      phoneticFirstName: first("x-phonetic-first-name"),
      nickName: first("nickname"),
    },
    emails: all("email").map((p) => ({
      type: pick(typesOf(p), { work: "WORK", home: "HOME" } as const, "OTHER"),
      email: str(p.getFirstValue()),
      primary: isPref(p),
    })),
    telephones: all("tel").map((p) => ({
      type: pick(typesOf(p), { fax: "FAX", cell: "MOBILE", work: "WORK", home: "HOME" } as const, "OTHER"),
      telephone: str(p.getFirstValue()).replace(/^tel:/i, ""),
      primary: isPref(p),
    })),
    organizations: orgs.map((p, i) => {
      const v = p.getFirstValue() as unknown;
      const parts = Array.isArray(v) ? v.map(str) : [str(v)];
      return { name: parts[0] ?? "", department: parts[1] ?? "", title: str(titles[i]?.getFirstValue()) };
    }),
    addresses: all("adr").map((p) => {
      const v = (p.getFirstValue() as unknown as unknown[]) ?? [];
      return {
        type: pick(typesOf(p), { work: "WORK", home: "HOME" } as const, "OTHER"),
        street: str(v[2]),
        locality: str(v[3]),
        region: str(v[4]),
        postalCode: str(v[5]),
        country: str(v[6]),
        primary: isPref(p),
      };
    }),
    websites: all("url").map((p) => ({ type: pick(typesOf(p), { work: "WORK", home: "HOME" } as const, "OTHER"), url: str(p.getFirstValue()) })),
    memo: first("note"),
    tags: { company: [...new Set(categories.map((c) => c.trim()).filter(Boolean))] },
  };
  const parsed = CreateContactBody.safeParse(candidate);
  if (!parsed.success) return { errors: parsed.error.issues.map(fieldErrorOf) };
  // A vCard is a client string too: the same text rule as every API field.
  const bad = textProblems(parsed.data);
  if (bad.length > 0) return { errors: bad };
  return { fields: parsed.data };
}

/*
 * CPU-pool tasks (cpu/pool.ts): an import's parsing runs on a worker thread, where ical.js and
 * zod may take seconds over a large file without holding up the event loop.
 */

/** How many cards a text/vcard body holds: what POST /contacts/import needs before it queues the import. */
export function countVcardsTask(text: string): number {
  return splitVcards(text).length;
}

/** Cards [from, from + count) of the body, parsed and named: one import chunk's work. */
export function parseVcardRangeTask(input: { text: string; from: number; count: number }): (ParsedCard & { name: string })[] {
  return splitVcards(input.text)
    .slice(input.from, input.from + input.count)
    .map((card) => ({ ...fromVcard(card), name: formattedName(card) }));
}
