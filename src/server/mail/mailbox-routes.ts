import { Hono, type Context } from "hono";
import type { Attachment } from "mailparser";
import type { Database } from "../db/database.ts";
import { serveContent } from "../files/content-policy.ts";
import { parseMail } from "./parse.ts";
import { mailRepository, type CapturedMail } from "./repository.ts";

export interface MailboxOptions {
  /** Where the lead mounts the app; links and rewritten cid: images point under it. */
  basePath?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// Mail HTML is untrusted: the page itself runs no script and embeds the message in a sandboxed
// iframe (no scripts, opaque origin; only popups allowed, for links), which inherits this
// policy, so the message cannot load remote trackers either — only its own parts from here.
// Inline styles are allowed only because mail HTML is all inline styles and the srcdoc iframe
// inherits this policy; nothing else is inline, and no other site may frame the mailbox.
const PAGE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE = `body{font-family:system-ui,'Noto Sans JP','Noto Sans KR',sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
header{background:#0b8a3e;color:#fff;padding:12px 24px}header a{color:#fff;text-decoration:none;font-weight:bold}
main{padding:16px 24px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #e4e7eb;vertical-align:top;font-size:14px}
td.subject a{color:#0b57d0}.empty{padding:32px;text-align:center;color:#52606d;background:#fff}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;padding:12px 16px;margin:0 0 16px}
dt{color:#52606d}dd{margin:0;word-break:break-all}pre{white-space:pre-wrap;background:#fff;padding:12px 16px;margin:0 0 16px}
iframe{width:100%;height:70vh;border:1px solid #e4e7eb;background:#fff}h2{font-size:15px;margin:16px 0 8px}`;

function page(c: Context, title: string, base: string, body: string) {
  c.header("Content-Security-Policy", PAGE_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  return c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header><a href="${escapeHtml(base)}">Tsunagu mailbox</a> · mail captured while SMTP_URL is unset</header><main>${body}</main></body></html>`);
}

function formatTime(d: Date): string {
  return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function listPage(mails: CapturedMail[], base: string): string {
  if (mails.length === 0) {
    return `<div class="empty">No messages yet. Mail the server sends (invitations, notices) shows up here.</div>`;
  }
  const rows = mails
    .map(
      (m) => `<tr><td>${formatTime(m.receivedAt)}</td><td>${escapeHtml(m.envelopeFrom ?? "")}</td><td>${escapeHtml(m.envelopeTo.join(", "))}</td>
<td class="subject"><a href="${escapeHtml(`${base}/messages/${m.id}`)}">${escapeHtml(m.subject || "(no subject)")}</a></td><td>${m.attachments.length || ""}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Parts</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Points `cid:` references at the part route, so inline images show inside the sandbox. */
function rewriteCidLinks(html: string, partsUrl: string): string {
  return html.replace(/(["'(])cid:([^"')\s]+)/gi, (_, open: string, cid: string) => `${open}${partsUrl}/${encodeURIComponent(cid)}`);
}

function messagePage(m: CapturedMail, base: string): string {
  const messageUrl = `${base}/messages/${m.id}`;
  const attachments = m.attachments
    .map((a, i) => {
      const href = a.cid ? `${messageUrl}/parts/${encodeURIComponent(a.cid)}` : `${messageUrl}/attachments/${i}`;
      return `<li><a href="${escapeHtml(href)}">${escapeHtml(a.filename ?? a.cid ?? `part ${i + 1}`)}</a> (${escapeHtml(a.contentType)}, ${a.size} bytes)</li>`;
    })
    .join("");
  const html = m.html
    ? `<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" title="HTML body" srcdoc="${escapeHtml(
        // Links open in a new, ordinary tab (as in a mail client), e.g. to follow an invitation.
        `<base target="_blank">${rewriteCidLinks(m.html, `${messageUrl}/parts`)}`,
      )}"></iframe>`
    : "";
  return `<dl><dt>Subject</dt><dd>${escapeHtml(m.subject ?? "")}</dd>
<dt>From</dt><dd>${escapeHtml(m.envelopeFrom ?? "")}</dd><dt>To</dt><dd>${escapeHtml(m.envelopeTo.join(", "))}</dd>
<dt>Received</dt><dd>${formatTime(m.receivedAt)}</dd><dt>Raw</dt><dd><a href="${escapeHtml(`${messageUrl}/raw`)}">download .eml</a></dd></dl>
${attachments ? `<h2>Attachments</h2><ul>${attachments}</ul>` : ""}
${m.text ? `<h2>Text</h2><pre>${escapeHtml(m.text)}</pre>` : ""}
${html}`;
}

function present(m: CapturedMail) {
  return {
    id: m.id,
    receivedAt: m.receivedAt.toISOString(),
    from: m.envelopeFrom,
    to: m.envelopeTo,
    subject: m.subject,
    text: m.text,
    html: m.html,
    attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, cid: a.cid, size: a.size })),
  };
}

export type MailboxMessageJson = ReturnType<typeof present>;

function messageId(c: Context): number | undefined {
  const id = Number(c.req.param("id"));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

async function servePart(c: Context, db: Database, pick: (parts: Attachment[]) => Attachment | undefined) {
  const id = messageId(c);
  const raw = id ? await mailRepository.raw(db, id) : undefined;
  if (!raw) return c.text("No such message", 404);
  // Bytes are not stored twice: the part is cut from the raw message again.
  const parsed = await parseMail(raw);
  const part = pick(parsed.attachments);
  if (!part) return c.text("No such part", 404);
  // A part is served from our origin, so it follows the content policy (an HTML or SVG part is a
  // download, never a page here). Cross-origin embedding: the message's sandboxed iframe has an
  // opaque origin, and its cid: images must still load.
  return serveContent(c, new Uint8Array(part.content), { fileName: part.filename ?? "part", embed: "cross-origin", cacheControl: "private, max-age=3600" });
}

/**
 * The web mailbox for the built-in SMTP capture, meant to be mounted at `/__mail` only when
 * SMTP_URL is unset: a list, a message view, raw .eml download, inline parts, and a JSON API
 * that tests read instead of a real inbox.
 */
export function mailboxRoutes(db: Database, opts: MailboxOptions = {}) {
  const base = (opts.basePath ?? "/__mail").replace(/\/$/, "");
  const app = new Hono();

  app.get("/", async (c) => page(c, "Mailbox", base, listPage(await mailRepository.list(db), base)));

  app.get("/messages/:id", async (c) => {
    const id = messageId(c);
    const m = id ? await mailRepository.get(db, id) : undefined;
    if (!m) return c.text("No such message", 404);
    return page(c, m.subject || "(no subject)", base, messagePage(m, base));
  });

  app.get("/messages/:id/raw", async (c) => {
    const id = messageId(c);
    const raw = id ? await mailRepository.raw(db, id) : undefined;
    if (!raw) return c.text("No such message", 404);
    return c.body(new Uint8Array(raw), 200, {
      "Content-Type": "message/rfc822",
      "Content-Disposition": `attachment; filename="message-${id}.eml"`,
      "X-Content-Type-Options": "nosniff",
    });
  });

  app.get("/messages/:id/parts/:cid", (c) => servePart(c, db, (parts) => parts.find((p) => p.cid === c.req.param("cid"))));

  app.get("/messages/:id/attachments/:index", (c) =>
    servePart(c, db, (parts) => {
      const i = Number(c.req.param("index"));
      return Number.isSafeInteger(i) && i >= 0 ? parts[i] : undefined;
    }),
  );

  app.get("/api/messages", async (c) => {
    const to = c.req.query("to");
    return c.json((await mailRepository.list(db, to ? { to } : {})).map(present));
  });

  app.get("/api/messages/:id", async (c) => {
    const id = messageId(c);
    const m = id ? await mailRepository.get(db, id) : undefined;
    if (!m) return c.json({ title: "No such message" }, 404);
    return c.json(present(m));
  });

  return app;
}
