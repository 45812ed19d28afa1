import { STATUS_CODES } from "node:http";
import type { Producer } from "./resources.ts";
import { NS, dav, el, qkey, renderXml, type QName, type XmlNode } from "./xml.ts";

/** What a PROPFIND or REPORT asked for: these names, every property (allprop), or only names (propname). */
export type PropRequest = { kind: "prop"; names: QName[] } | { kind: "allprop"; names: QName[] } | { kind: "propname" };

const statusLine = (status: number) => `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`.trimEnd();
const nameOnly = (key: string): XmlNode => {
  const [, ns = "", name = ""] = /^\{(.*)\}(.*)$/.exec(key) ?? [];
  return el(ns, name);
};

/** One DAV:response with a propstat for what was found and one (404) for what was not. */
export function propResponse(href: string, props: Map<string, Producer>, request: PropRequest): XmlNode {
  const found: XmlNode[] = [];
  const missing: XmlNode[] = [];
  if (request.kind === "propname") {
    found.push(...[...props.keys()].map(nameOnly));
  } else {
    for (const q of request.names) {
      const produce = props.get(qkey(q));
      if (produce) found.push(el(q.ns, q.name, produce()));
      // allprop lists only what the resource has; asking by name answers for every name.
      else if (request.kind === "prop") missing.push(el(q.ns, q.name));
    }
  }
  const propstats = [
    ...(found.length ? [dav("propstat", [dav("prop", found), dav("status", [statusLine(200)])])] : []),
    ...(missing.length ? [dav("propstat", [dav("prop", missing), dav("status", [statusLine(404)])])] : []),
  ];
  return dav("response", [dav("href", [href]), ...propstats]);
}

/** A DAV:response with a status and no properties: a card that is gone, or not there. */
export const statusResponse = (href: string, status: number): XmlNode => dav("response", [dav("href", [href]), dav("status", [statusLine(status)])]);

export const XML_TYPE = 'application/xml; charset="utf-8"';

export function multistatus(responses: XmlNode[], syncToken?: string): Response {
  const body = renderXml({ ns: NS.DAV, name: "multistatus", children: [...responses, ...(syncToken ? [dav("sync-token", [syncToken])] : [])] });
  return new Response(body, { status: 207, headers: { "Content-Type": XML_TYPE } });
}

/**
 * A DAV:error body (RFC 4918 §16) naming the precondition that failed, with a sentence for
 * whoever reads the client's log.
 */
export function davError(status: number, condition: XmlNode, message: string, headers: Record<string, string> = {}): Response {
  const body = renderXml({ ns: NS.DAV, name: "error", children: [condition, el(NS.TSUNAGU, "message", [message])] });
  return new Response(body, { status, headers: { "Content-Type": XML_TYPE, ...headers } });
}
