import { Hono, type Context } from "hono";
import { bodyLimit } from "../http/body-limit.ts";
import type { AppEnv } from "../http/env.ts";
import { cardData, type AddressBook } from "./address-book.ts";
import type { AppPasswords, DavUser } from "./app-passwords.ts";
import { propfind, report } from "./dav-methods.ts";
import { etagOf, hrefOf, resolve, DAV_ROOT } from "./resources.ts";
import { davError } from "./responses.ts";
import { versionFromAccept } from "./vcard-version.ts";
import { NS, XmlBodyError, dav, el, parseXml } from "./xml.ts";
import { textProblem } from "../../shared/text.ts";
import { clientAddress } from "../directory/signin-throttle.ts";

/** Request bodies are small XML documents; a multiget of a few thousand hrefs fits easily. */
export const DAV_BODY_MAX_BYTES = 1024 * 1024;

const ALLOW = "OPTIONS, GET, HEAD, PROPFIND, REPORT";
// Writes a CardDAV client may try; the address book is read-only (docs/carddav.md).
const WRITES = new Set(["PUT", "DELETE", "PROPPATCH", "MKCOL", "COPY", "MOVE", "POST", "PATCH"]);
const REALM = 'Basic realm="Tsunagu", charset="UTF-8"';

function credentials(header: string | undefined): { login: string; secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const login = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  // The shared text rule: such credentials can be no one's, and the database cannot compare them.
  return textProblem(login) || textProblem(secret) ? undefined : { login, secret };
}

const unauthorized = () =>
  new Response("Sign in with your Tsunagu e-mail and an app password (Profile → CardDAV address book). Your sign-in password does not work here.\n", {
    status: 401,
    headers: { "WWW-Authenticate": REALM, "Content-Type": "text/plain; charset=utf-8" },
  });

async function readBody(c: Context) {
  try {
    return { root: parseXml(await c.req.text()) };
  } catch (err) {
    if (!(err instanceof XmlBodyError)) throw err;
    return { error: davError(400, el(NS.TSUNAGU, "bad-request"), `The request body is not readable XML: ${err.message}`) };
  }
}

export interface CarddavRouteDeps {
  appPasswords: AppPasswords;
  book: AddressBook;
}

/**
 * The read-only CardDAV server (RFC 6352 over RFC 4918, with RFC 6578 sync), mounted at /dav,
 * outside the API: clients authenticate with HTTP Basic and an app password on every request,
 * so there is no session and no CSRF token. Every write is refused with a DAV:error.
 */
export function carddavRoutes({ appPasswords, book }: CarddavRouteDeps) {
  const app = new Hono<AppEnv>();
  app.use(
    "*",
    bodyLimit({
      maxSize: DAV_BODY_MAX_BYTES,
      onError: () => davError(413, el(NS.TSUNAGU, "request-too-large"), `Request bodies must be smaller than ${DAV_BODY_MAX_BYTES / 1024} KB.`),
    }),
  );

  app.all("*", async (c) => {
    const method = c.req.method.toUpperCase();
    // OPTIONS answers without credentials: clients probe capabilities before signing in.
    if (method === "OPTIONS") {
      return c.body(null, 200, { DAV: "1, 3, addressbook", Allow: ALLOW, "Content-Length": "0" });
    }
    const creds = credentials(c.req.header("authorization"));
    const who: DavUser | undefined = creds && (await appPasswords.verify(creds.login, creds.secret, clientAddress(c)));
    if (!who) return unauthorized();

    const target = resolve(new URL(c.req.url).pathname, who.member.id);
    if (WRITES.has(method)) {
      return davError(
        403,
        dav("need-privileges", [dav("resource", [dav("href", [new URL(c.req.url).pathname]), dav("privilege", [dav("write")])])]),
        "This address book is read-only: add and edit contacts in Tsunagu.",
      );
    }
    if (!target) return c.text("Not found.\n", 404);
    const ctx = { who, book };
    switch (method) {
      case "GET":
      case "HEAD":
        return read(c, ctx, target);
      case "PROPFIND":
      case "REPORT": {
        const { root, error } = await readBody(c);
        if (error) return error;
        return method === "PROPFIND" ? propfind(ctx, target, c.req.header("depth"), root) : report(ctx, target, root);
      }
      default:
        return davError(405, el(NS.TSUNAGU, "method-not-supported"), `${method} is not supported here.`, { Allow: ALLOW });
    }
  });
  return app;
}

/** GET and HEAD (Hono answers HEAD through this handler and drops the body itself). */
async function read(c: Context, ctx: { who: DavUser; book: AddressBook }, target: NonNullable<ReturnType<typeof resolve>>) {
  if (target.kind !== "card") {
    return c.text(`Tsunagu CardDAV. Add ${new URL(DAV_ROOT, c.req.url).href} in a CardDAV client (Apple Contacts, Thunderbird, DAVx5).\n`, 200);
  }
  const { who, book } = ctx;
  const row = (await book.rows(who, [target.id])).get(target.id);
  if (!row) return c.text("No such card in this address book.\n", 404);
  const etag = etagOf(row.version);
  const headers = {
    ETag: etag,
    "Last-Modified": row.updated_at.toUTCString(),
    // The same card is served as vCard 3.0 or 4.0 by the Accept header.
    Vary: "Accept",
    "Content-Location": hrefOf(who.member.id, target),
  };
  const inm = c.req.header("if-none-match");
  if (inm && inm.split(",").some((t) => t.trim() === etag || t.trim() === "*")) return c.body(null, 304, headers);
  const version = versionFromAccept(c.req.header("accept"));
  if (c.req.method.toUpperCase() !== "HEAD") await book.audit(who, [row.id]);
  return c.body(cardData(row, version), 200, { ...headers, "Content-Type": `text/vcard; charset=utf-8; version=${version}` });
}

/** /.well-known/carddav (RFC 6764 §5): where clients that were given only a host name look first. */
export function wellKnownRoutes() {
  const app = new Hono();
  app.all("/carddav", (c) => c.redirect(DAV_ROOT, 301));
  return app;
}
