import type { Element } from "@xmldom/xmldom";
import type { ContactRow } from "../contacts/repository.ts";
import { cardData, type AddressBook } from "./address-book.ts";
import type { DavUser } from "./app-passwords.ts";
import { UnsupportedFilter, cardMatches, parseFilter } from "./query-filter.ts";
import type { CardRef } from "./repository.ts";
import { ALLPROP, hrefOf, propertiesOf, resolve, type PropContext, type Resource } from "./resources.ts";
import { davError, multistatus, propResponse, statusResponse, type PropRequest } from "./responses.ts";
import { versionAsked, type VcardVersion } from "./vcard-version.ts";
import { NS, child, children, dav, el, is, nameOf, qkey, qname, textOf, type QName } from "./xml.ts";

/** A request's context: who asks, and the address book to answer from. */
export interface DavContext {
  who: DavUser;
  book: AddressBook;
}

const Q = {
  propfind: qname(NS.DAV, "propfind"),
  prop: qname(NS.DAV, "prop"),
  allprop: qname(NS.DAV, "allprop"),
  propname: qname(NS.DAV, "propname"),
  include: qname(NS.DAV, "include"),
  href: qname(NS.DAV, "href"),
  syncCollection: qname(NS.DAV, "sync-collection"),
  syncToken: qname(NS.DAV, "sync-token"),
  syncLevel: qname(NS.DAV, "sync-level"),
  multiget: qname(NS.CARDDAV, "addressbook-multiget"),
  query: qname(NS.CARDDAV, "addressbook-query"),
  filter: qname(NS.CARDDAV, "filter"),
  limit: qname(NS.CARDDAV, "limit"),
  nresults: qname(NS.CARDDAV, "nresults"),
  addressData: qname(NS.CARDDAV, "address-data"),
};

const badRequest = (message: string) => davError(400, el(NS.TSUNAGU, "bad-request"), message);
const refRow = (r: ContactRow): CardRef => ({ id: r.id, version: r.version, updated_at: r.updated_at });
const asks = (request: PropRequest, q: QName) => request.kind !== "propname" && request.names.some((n) => qkey(n) === qkey(q));

function propRequestOf(root: Element): PropRequest | Response {
  const prop = child(root, Q.prop);
  if (prop) return { kind: "prop", names: children(prop).map(nameOf) };
  if (child(root, Q.allprop)) {
    const include = child(root, Q.include);
    return { kind: "allprop", names: [...ALLPROP, ...(include ? children(include).map(nameOf) : [])] };
  }
  if (child(root, Q.propname)) return { kind: "propname" };
  return badRequest("A propfind must hold prop, allprop or propname.");
}

/** RFC 4918 §9.1. */
export async function propfind(ctx: DavContext, target: Resource, depthHeader: string | undefined, body: Element | undefined): Promise<Response> {
  // Clients send Depth 0 or 1. A missing header would mean infinity; read it as 0 (as Radicale
  // does), while an explicit infinity is refused as RFC 4918 allows.
  const depth = depthHeader?.trim().toLowerCase() ?? "0";
  if (depth === "infinity") return davError(403, dav("propfind-finite-depth"), "Depth: infinity is not supported; use 0 or 1.");
  if (depth !== "0" && depth !== "1") return badRequest("Depth must be 0 or 1.");
  let request: PropRequest = { kind: "allprop", names: ALLPROP };
  if (body) {
    if (!is(body, Q.propfind)) return badRequest("The body of a PROPFIND must be a DAV:propfind.");
    const parsed = propRequestOf(body);
    if (parsed instanceof Response) return parsed;
    request = parsed;
  }

  const { who, book } = ctx;
  const memberId = who.member.id;
  const listsBook = target.kind === "addressbook" || target.kind === "card" || (target.kind === "home" && depth === "1");
  const cards = listsBook ? await book.cards(who) : [];
  const base: PropContext = { who };
  if (listsBook) {
    base.bookToken = book.tokenOf(cards);
    // A sync token is only handed out when asked for, as it is remembered for the next sync.
    if (asks(request, Q.syncToken) || request.kind === "propname") base.syncToken = await book.handOut(who, cards);
  }

  const responses = [];
  if (target.kind === "card") {
    const card = cards.find((c) => c.id === target.id);
    if (!card) return new Response("No such card in this address book.", { status: 404 });
    responses.push(propResponse(hrefOf(memberId, target), propertiesOf(target, { ...base, card }), request));
  } else {
    responses.push(propResponse(hrefOf(memberId, target), propertiesOf(target, base), request));
    if (depth === "1" && target.kind === "home") {
      const bookResource: Resource = { kind: "addressbook" };
      responses.push(propResponse(hrefOf(memberId, bookResource), propertiesOf(bookResource, base), request));
    }
    if (depth === "1" && target.kind === "addressbook") {
      for (const card of cards) {
        const r: Resource = { kind: "card", id: card.id };
        responses.push(propResponse(hrefOf(memberId, r), propertiesOf(r, { who, card }), request));
      }
    }
  }
  return multistatus(responses);
}

/** The asked vCard version, or a 403 naming CARDDAV:supported-address-data. */
function addressDataVersion(request: PropRequest, root: Element): VcardVersion | Response | undefined {
  if (!asks(request, Q.addressData)) return undefined;
  const prop = child(root, Q.prop);
  const element = prop && child(prop, Q.addressData);
  const type = element?.getAttribute("content-type") || "text/vcard";
  const version = element?.getAttribute("version") || "3.0";
  if (type.toLowerCase() !== "text/vcard" || !["3.0", "4.0"].includes(version)) {
    return davError(403, el(NS.CARDDAV, "supported-address-data"), `Cards are available as text/vcard 3.0 or 4.0, not ${type} ${version}.`);
  }
  return versionAsked(version);
}

/** RFC 6352 §8.6, §8.7 and RFC 6578 §3.2, on the address book collection. */
export async function report(ctx: DavContext, target: Resource, body: Element | undefined): Promise<Response> {
  if (!body) return badRequest("A REPORT needs a body.");
  const kind = is(body, Q.multiget) ? "multiget" : is(body, Q.query) ? "query" : is(body, Q.syncCollection) ? "sync" : undefined;
  if (!kind) return davError(403, dav("supported-report"), `The report {${body.namespaceURI}}${body.localName} is not supported here.`);
  if (target.kind !== "addressbook") return davError(403, dav("supported-report"), "Reports run on the address book collection.");
  const prop = child(body, Q.prop);
  const request: PropRequest = { kind: "prop", names: prop ? children(prop).map(nameOf) : [] };
  const version = addressDataVersion(request, body);
  if (version instanceof Response) return version;
  if (kind === "multiget") return multiget(ctx, body, request, version);
  if (kind === "query") return query(ctx, body, request, version);
  return syncCollection(ctx, body, request, version);
}

function cardResponse(ctx: DavContext, row: ContactRow, request: PropRequest, version: VcardVersion | undefined) {
  const r: Resource = { kind: "card", id: row.id };
  const props = propertiesOf(r, { who: ctx.who, card: refRow(row), ...(version && { cardData: cardData(row, version) }) });
  return propResponse(hrefOf(ctx.who.member.id, r), props, request);
}

async function multiget(ctx: DavContext, body: Element, request: PropRequest, version: VcardVersion | undefined) {
  const { who, book } = ctx;
  const hrefs = children(body).filter((e) => is(e, Q.href)).map(textOf);
  const wanted = hrefs.map((href) => ({ href, resource: resolve(href, who.member.id) }));
  const ids = [...new Set(wanted.flatMap((w) => (w.resource?.kind === "card" ? [w.resource.id] : [])))];
  const rows = await book.consistently((tx) => book.rows(who, ids, tx));
  const responses = wanted.map(({ href, resource }) => {
    const row = resource?.kind === "card" ? rows.get(resource.id) : undefined;
    return row ? cardResponse(ctx, row, request, version) : statusResponse(href, 404);
  });
  if (version) await book.audit(who, [...rows.keys()]);
  return multistatus(responses);
}

async function query(ctx: DavContext, body: Element, request: PropRequest, version: VcardVersion | undefined) {
  const { who, book } = ctx;
  let filter;
  try {
    filter = parseFilter(child(body, Q.filter));
  } catch (err) {
    if (err instanceof UnsupportedFilter) return davError(403, el(NS.CARDDAV, err.condition), err.message);
    throw err;
  }
  const limitText = textOf(child(child(body, Q.limit) ?? body, Q.nresults));
  const limit = limitText ? Number(limitText) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) return badRequest("nresults must be a positive whole number.");
  const rows = await book.consistently((tx) => book.allRows(who, tx));
  const matching = rows.filter((row) => cardMatches(filter, cardData(row, "4.0")));
  const shown = limit === undefined ? matching : matching.slice(0, limit);
  const responses = shown.map((row) => cardResponse(ctx, row, request, version));
  // RFC 6352 §8.6.1: a truncated answer says so with 507 on the collection itself.
  if (shown.length < matching.length) responses.push(statusResponse(hrefOf(who.member.id, { kind: "addressbook" }), 507));
  if (version) await book.audit(who, shown.map((r) => r.id));
  return multistatus(responses);
}

async function syncCollection(ctx: DavContext, body: Element, request: PropRequest, version: VcardVersion | undefined) {
  const { who, book } = ctx;
  const tokenElement = child(body, Q.syncToken);
  if (!tokenElement) return badRequest("sync-collection needs a sync-token element (empty for a first sync).");
  const token = textOf(tokenElement);
  // The address book is flat, so level 1 and infinite are the same thing.
  const level = textOf(child(body, Q.syncLevel)) || "1";
  if (level !== "1" && level !== "infinite") return badRequest("sync-level must be 1 or infinite.");

  const result = await book.consistently(async (tx) => {
    const cards = await book.cards(who, tx);
    const changes = token ? await book.changesSince(who, token, cards, tx) : { changed: cards, removed: [] };
    if (!changes) return undefined;
    const ids = changes.changed.map((c) => c.id);
    let rows: Map<string, ContactRow> | undefined;
    if (version) rows = token ? await book.rows(who, ids, tx) : new Map((await book.allRows(who, tx)).map((r) => [r.id, r]));
    return { cards, changes, rows };
  });
  if (!result) return davError(403, dav("valid-sync-token"), "This sync token is unknown or expired; sync again from an empty token.");

  const { cards, changes, rows } = result;
  const memberId = who.member.id;
  const responses = [
    ...changes.changed.map((card) => {
      const row = rows?.get(card.id);
      if (row) return cardResponse(ctx, row, request, version);
      const r: Resource = { kind: "card", id: card.id };
      return propResponse(hrefOf(memberId, r), propertiesOf(r, { who, card }), request);
    }),
    ...changes.removed.map((id) => statusResponse(hrefOf(memberId, { kind: "card", id }), 404)),
  ];
  const next = await book.handOut(who, cards);
  if (rows) await book.audit(who, [...rows.keys()]);
  return multistatus(responses, next);
}
