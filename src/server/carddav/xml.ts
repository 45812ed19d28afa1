import { DOMImplementation, DOMParser, XMLSerializer, type Element } from "@xmldom/xmldom";

/**
 * WebDAV XML through @xmldom/xmldom: a namespace-aware DOM (WebDAV names are namespace + local
 * name, and clients pick any prefixes), and a serializer that escapes every text and attribute,
 * so no user data is ever spliced into markup by hand. It never fetches or expands external
 * entities; documents with a DOCTYPE are refused outright, as no WebDAV body needs one.
 */
export const NS = {
  DAV: "DAV:",
  CARDDAV: "urn:ietf:params:xml:ns:carddav",
  CS: "http://calendarserver.org/ns/",
  /** Our own elements: the human-readable reason inside DAV:error bodies. */
  TSUNAGU: "urn:x-tsunagu:dav",
} as const;

const PREFIXES: Record<string, string> = { [NS.DAV]: "d", [NS.CARDDAV]: "card", [NS.CS]: "cs", [NS.TSUNAGU]: "t" };

export interface QName {
  ns: string;
  name: string;
}
export const qname = (ns: string, name: string): QName => ({ ns, name });
export const qkey = (q: QName) => `{${q.ns}}${q.name}`;

/** A piece of XML to write: text, or an element with attributes and children. */
export type XmlNode = string | { ns: string; name: string; attrs?: Record<string, string>; children?: XmlNode[] };
export const el = (ns: string, name: string, children: XmlNode[] = [], attrs?: Record<string, string>): XmlNode => ({ ns, name, children, attrs });
export const dav = (name: string, children: XmlNode[] = []) => el(NS.DAV, name, children);

export class XmlBodyError extends Error {}

/** The root element of a request body, or undefined for an empty body. */
export function parseXml(text: string): Element | undefined {
  if (!text.trim()) return undefined;
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        // Warnings too: a body the parser had to guess at is not one to act on.
        throw new XmlBodyError(`${level}: ${message}`);
      },
    }).parseFromString(text, "text/xml");
  } catch (err) {
    throw new XmlBodyError(err instanceof Error ? err.message : String(err));
  }
  if (doc.doctype) throw new XmlBodyError("a DOCTYPE is not allowed");
  const root = doc.documentElement;
  if (!root) throw new XmlBodyError("no root element");
  return root;
}

export const is = (node: Element, q: QName) => node.namespaceURI === q.ns && node.localName === q.name;

export function children(node: Element): Element[] {
  const out: Element[] = [];
  for (let n = node.firstChild; n; n = n.nextSibling) if (n.nodeType === n.ELEMENT_NODE) out.push(n as Element);
  return out;
}

export const child = (node: Element, q: QName) => children(node).find((c) => is(c, q));
export const textOf = (node: Element | undefined) => (node?.textContent ?? "").trim();
export const nameOf = (node: Element): QName => ({ ns: node.namespaceURI ?? "", name: node.localName ?? node.nodeName });

/** Serializes `root` as a document, declaring the usual prefixes once on it. */
export function renderXml(root: Exclude<XmlNode, string>): string {
  const doc = new DOMImplementation().createDocument(root.ns, `${PREFIXES[root.ns] ?? "x"}:${root.name}`, null);
  const top = doc.documentElement!;
  for (const [ns, prefix] of Object.entries(PREFIXES)) top.setAttributeNS("http://www.w3.org/2000/xmlns/", `xmlns:${prefix}`, ns);
  const build = (node: Exclude<XmlNode, string>, into: Element) => {
    for (const [k, v] of Object.entries(node.attrs ?? {})) into.setAttribute(k, v);
    for (const c of node.children ?? []) {
      if (typeof c === "string") {
        into.appendChild(doc.createTextNode(c));
        continue;
      }
      const prefix = PREFIXES[c.ns];
      // Names from a request in a namespace we do not know keep their namespace, as a default xmlns.
      const e = doc.createElementNS(c.ns || null, prefix ? `${prefix}:${c.name}` : c.name);
      build(c, e);
      into.appendChild(e);
    }
  };
  build(root, top);
  return `<?xml version="1.0" encoding="utf-8"?>\n${new XMLSerializer().serializeToString(doc)}`;
}
