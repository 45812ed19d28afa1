import ICAL from "ical.js";

/**
 * CardDAV servers must offer vCard 3.0 (RFC 6352 §6.1.1: it is the default of address-data and
 * what Apple Contacts reads best); vCard 4.0 goes to clients that ask for it. The cards are made
 * once, as 4.0, by the contacts domain's exporter (src/server/contacts/vcard.ts), and turned into
 * 3.0 here, so the address book never disagrees with the vCard download.
 */
export type VcardVersion = "3.0" | "4.0";

type JCardProperty = [name: string, params: Record<string, string | string[]>, type: string, ...values: unknown[]];

// Value types whose 4.0 spelling 3.0 names differently (RFC 2426: TEL is a phone-number, REV a date-time).
const V3_TYPES: Record<string, string> = { tel: "phone-number", rev: "date-time" };

function toV3Property([name, params, type, ...values]: JCardProperty): JCardProperty {
  const next: Record<string, string | string[]> = { ...params };
  // 4.0 marks the preferred entry with PREF=1; 3.0 with TYPE=pref.
  if (next.pref !== undefined) {
    delete next.pref;
    const types = next.type === undefined ? [] : Array.isArray(next.type) ? next.type : [next.type];
    next.type = [...types, "pref"];
  }
  delete next.value;
  return [name, next, V3_TYPES[name] ?? type, ...values];
}

/** The card in the asked version; `card` is one vCard 4.0 as the exporter writes it. */
export function inVersion(card: string, version: VcardVersion): string {
  if (version === "4.0") return `${card}\r\n`;
  const [, properties] = ICAL.parse(card) as unknown as [string, JCardProperty[], unknown[]];
  const v3 = properties.map((p) => (p[0] === "version" ? (["version", {}, "text", "3.0"] as JCardProperty) : toV3Property(p)));
  return `${ICAL.stringify(["vcard", v3, []] as unknown as Parameters<typeof ICAL.stringify>[0])}\r\n`;
}

/**
 * The version a client asked for: `version` of an address-data element, or of a media type in
 * Accept (`text/vcard; version=4.0`); 3.0 when it did not say.
 */
export function versionAsked(version: string | undefined | null): VcardVersion {
  return version?.trim() === "4.0" ? "4.0" : "3.0";
}

export function versionFromAccept(accept: string | undefined): VcardVersion {
  for (const range of (accept ?? "").split(",")) {
    const [type, ...params] = range.split(";").map((s) => s.trim().toLowerCase());
    if (type !== "text/vcard") continue;
    const version = params.find((p) => p.startsWith("version="))?.slice("version=".length).replace(/"/g, "");
    return versionAsked(version);
  }
  return "3.0";
}
