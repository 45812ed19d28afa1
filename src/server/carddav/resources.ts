import type { DavUser } from "./app-passwords.ts";
import type { CardRef } from "./repository.ts";
import { NS, dav, el, qkey, qname, type QName, type XmlNode } from "./xml.ts";

/**
 * The resource tree (docs/carddav.md). Only the signed-in member's own principal and address book
 * home exist for them; anyone else's path is simply not found.
 *
 *   /dav/                                          root
 *   /dav/principals/<memberId>/                    principal
 *   /dav/addressbooks/<memberId>/                  address book home
 *   /dav/addressbooks/<memberId>/external/         the address book
 *   /dav/addressbooks/<memberId>/external/<contactId>.vcf
 */
export type Resource =
  | { kind: "root" }
  | { kind: "principal" }
  | { kind: "home" }
  | { kind: "addressbook" }
  | { kind: "card"; id: string };

export const DAV_ROOT = "/dav/";
export const BOOK_NAME = "external";

export const hrefOf = (memberId: string, r: Resource): string => {
  switch (r.kind) {
    case "root":
      return DAV_ROOT;
    case "principal":
      return `${DAV_ROOT}principals/${memberId}/`;
    case "home":
      return `${DAV_ROOT}addressbooks/${memberId}/`;
    case "addressbook":
      return `${DAV_ROOT}addressbooks/${memberId}/${BOOK_NAME}/`;
    case "card":
      return `${DAV_ROOT}addressbooks/${memberId}/${BOOK_NAME}/${r.id}.vcf`;
  }
};

const CARD_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.vcf$/i;

/** The resource at a path (or an href, absolute or not), for this member; undefined when there is none. */
export function resolve(pathOrHref: string, memberId: string): Resource | undefined {
  let path: string;
  try {
    path = new URL(pathOrHref, "http://any.invalid").pathname;
  } catch {
    return undefined;
  }
  if (!path.startsWith("/dav")) return undefined;
  let segments: string[];
  try {
    segments = path.slice("/dav".length).split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [area, owner, book, file, ...rest] = segments;
  if (rest.length) return undefined;
  if (!area) return { kind: "root" };
  if (owner !== memberId) return undefined;
  if (area === "principals") return book === undefined ? { kind: "principal" } : undefined;
  if (area !== "addressbooks") return undefined;
  if (book === undefined) return { kind: "home" };
  if (book !== BOOK_NAME) return undefined;
  if (file === undefined) return { kind: "addressbook" };
  const m = CARD_FILE.exec(file);
  return m ? { kind: "card", id: m[1]!.toLowerCase() } : undefined;
}

/** What property values are made from, gathered before a response is written. */
export interface PropContext {
  who: DavUser;
  /** The address book's current token (CTag; and the sync token when one was handed out). */
  bookToken?: string;
  syncToken?: string;
  card?: CardRef;
  /** address-data, only in REPORT answers (RFC 6352 §10.4). */
  cardData?: string;
}

export type Producer = () => XmlNode[];

const href = (h: string) => dav("href", [h]);
const readOnlyPrivileges = () => [dav("privilege", [dav("read")])];
const REPORTS: QName[] = [qname(NS.CARDDAV, "addressbook-multiget"), qname(NS.CARDDAV, "addressbook-query"), qname(NS.DAV, "sync-collection")];

/** The live properties of a resource; a name missing here is answered 404 in its propstat. */
export function propertiesOf(r: Resource, ctx: PropContext): Map<string, Producer> {
  const memberId = ctx.who.member.id;
  const principal = hrefOf(memberId, { kind: "principal" });
  const props = new Map<string, Producer>();
  const set = (ns: string, name: string, produce: Producer) => props.set(qkey(qname(ns, name)), produce);

  set(NS.DAV, "current-user-principal", () => [href(principal)]);
  set(NS.DAV, "current-user-privilege-set", readOnlyPrivileges);
  set(NS.DAV, "supported-report-set", () =>
    r.kind === "addressbook" ? REPORTS.map((q) => dav("supported-report", [dav("report", [el(q.ns, q.name)])])) : [],
  );

  switch (r.kind) {
    case "root":
      set(NS.DAV, "resourcetype", () => [dav("collection")]);
      set(NS.DAV, "displayname", () => ["Tsunagu"]);
      break;
    case "principal":
      set(NS.DAV, "resourcetype", () => [dav("collection"), dav("principal")]);
      set(NS.DAV, "displayname", () => [ctx.who.member.display_name]);
      set(NS.DAV, "principal-URL", () => [href(principal)]);
      set(NS.CARDDAV, "addressbook-home-set", () => [href(hrefOf(memberId, { kind: "home" }))]);
      break;
    case "home":
      set(NS.DAV, "resourcetype", () => [dav("collection")]);
      set(NS.DAV, "displayname", () => ["Address books"]);
      set(NS.DAV, "owner", () => [href(principal)]);
      break;
    case "addressbook":
      set(NS.DAV, "resourcetype", () => [dav("collection"), el(NS.CARDDAV, "addressbook")]);
      set(NS.DAV, "displayname", () => [`External contacts (${ctx.who.tenant.name})`]);
      set(NS.CARDDAV, "addressbook-description", () => [`The external contacts you can see in Tsunagu at ${ctx.who.tenant.name}. Read-only: edit them in Tsunagu.`]);
      set(NS.DAV, "owner", () => [href(principal)]);
      set(NS.CARDDAV, "supported-address-data", () =>
        ["3.0", "4.0"].map((version) => el(NS.CARDDAV, "address-data-type", [], { "content-type": "text/vcard", version })),
      );
      if (ctx.bookToken) {
        const token = ctx.bookToken;
        set(NS.CS, "getctag", () => [token]);
      }
      if (ctx.syncToken) {
        const token = ctx.syncToken;
        set(NS.DAV, "sync-token", () => [token]);
      }
      break;
    case "card": {
      const card = ctx.card;
      set(NS.DAV, "resourcetype", () => []);
      set(NS.DAV, "getcontenttype", () => ["text/vcard; charset=utf-8"]);
      set(NS.DAV, "owner", () => [href(principal)]);
      if (card) {
        set(NS.DAV, "getetag", () => [etagOf(card.version)]);
        set(NS.DAV, "getlastmodified", () => [card.updated_at.toUTCString()]);
      }
      if (ctx.cardData !== undefined) {
        const data = ctx.cardData;
        set(NS.CARDDAV, "address-data", () => [data]);
      }
      break;
    }
  }
  return props;
}

/** What DAV:allprop returns: the RFC 4918 properties (the others must be asked for by name). */
export const ALLPROP = [
  qname(NS.DAV, "resourcetype"),
  qname(NS.DAV, "displayname"),
  qname(NS.DAV, "getetag"),
  qname(NS.DAV, "getcontenttype"),
  qname(NS.DAV, "getlastmodified"),
];

export const etagOf = (version: number) => `"${version}"`;
