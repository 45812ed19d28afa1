import crypto from "node:crypto";

/** Escapes text for HTML bodies and attribute values; every dynamic string goes through it. */
export function esc(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Marks already-escaped markup so templates can nest without double escaping. */
export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

/** Tagged template: interpolations are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join("");
  if (v === undefined || v === null || v === false) return "";
  return esc(v);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Noto Sans JP",sans-serif;background:#f2f3f5;color:#111}
header{background:#06c755;color:#fff;padding:12px 16px;display:flex;align-items:center;gap:8px}
header a{color:#fff;text-decoration:none}header h1{font-size:18px;margin:0;flex:1}
main{padding:12px;max-width:640px;margin:0 auto}section{background:#fff;border-radius:10px;padding:12px;margin-bottom:12px}
h2{font-size:15px;margin:0 0 8px}label{display:block;margin:6px 0 2px;font-size:13px;color:#555}
input[type=text],input[type=url],input[type=number],select,textarea{width:100%;padding:10px;font-size:16px;border:1px solid #ccc;border-radius:8px}
button,.btn{display:inline-block;background:#06c755;color:#fff;border:0;border-radius:8px;padding:10px 14px;font-size:15px;margin-top:8px;text-decoration:none;cursor:pointer}
button.secondary,.btn.secondary{background:#e4e6ea;color:#111}ul.list{list-style:none;padding:0;margin:0}
ul.list li{display:flex;align-items:center;gap:10px;padding:8px 0;border-bottom:1px solid #eee}ul.list li:last-child{border:0}
.avatar{width:40px;height:40px;border-radius:50%;background:#ccc;object-fit:cover;flex:none}
.grow{flex:1;min-width:0}.muted{color:#777;font-size:12px}.row{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
.chat{display:flex;flex-direction:column;gap:8px;min-height:200px;background:#8cabd9;border-radius:10px;padding:10px}
.msg{max-width:80%;padding:8px 12px;border-radius:14px;word-wrap:break-word;white-space:pre-wrap}
.msg.user{align-self:flex-end;background:#8de055}.msg.bot{background:#fff;max-width:100%}
.msg-row{display:flex;gap:8px;align-items:flex-start;max-width:85%}.msg-col{display:flex;flex-direction:column;gap:2px;min-width:0}
.msg-avatar{width:36px;height:36px;border-radius:50%;background:#ccd;object-fit:cover;flex:none}
.sender-name{font-size:12px;color:#223}.msg .read{font-size:11px;color:#355}.msg-col .muted{color:#eef}
.msg.flex{padding:0;background:none;border:0;white-space:normal}
.fx-bubble{background:#fff;border-radius:14px;overflow:hidden;width:240px;max-width:100%}.fx-carousel{display:flex;gap:8px;overflow-x:auto}
.fx-body,.fx-header,.fx-footer{padding:12px}.fx-hero img{display:block;width:100%}
.fx-box{display:flex;gap:4px}.fx-col{flex-direction:column}.fx-row{flex-direction:row;align-items:baseline}
.fx-text{margin:0;white-space:pre-wrap}.fx-bold{font-weight:700}.fx-muted{color:#8c8c8c}
.fx-xxs{font-size:10px}.fx-xs{font-size:11px}.fx-sm{font-size:13px}.fx-md{font-size:14px}.fx-lg{font-size:17px}.fx-xl{font-size:19px}
.fx-xxl{font-size:22px}.fx-3xl{font-size:26px}.fx-4xl{font-size:30px}.fx-5xl{font-size:36px}
.fx-img{max-width:100%}.fx-square{aspect-ratio:1/1;object-fit:cover;width:100%}.fx-icon{width:16px;height:16px}
.fx-sep{border:0;border-top:1px solid #eee;margin:6px 0}.fx-filler{flex:1}
.fx-action-form{margin:0}.fx-button{width:100%;background:#fff;color:#06c755;border:0}.fx-button.primary{background:#06c755;color:#fff}
.quick-reply{display:flex;gap:6px;overflow-x:auto;padding:4px 0}.quick-reply form{flex:none}
.qr-chip{background:#fff;color:#06c755;border:1px solid #06c755;border-radius:18px;padding:6px 12px;font-size:14px;margin:0;white-space:nowrap}
.stickers button{background:#fff;border:1px solid #ddd;padding:4px}.stickers .sticker{width:40px;height:40px}img.sticker{display:block;width:120px;height:120px}
.msg.sticker-msg{background:none;padding:0}
details{margin-top:6px}summary{cursor:pointer;color:#06c755}
.tagline{color:#eaffea}.msg img{max-width:100%}input.fill{flex:1;width:auto}
`;

/**
 * The UI's pages run no inline script (the chat's poller is /ui/chat.js) and allow only their
 * one inline style, by hash. Images may come from anywhere, as in the LINE app: a bot's pushed
 * images and sender icons live on the bot's server. Forms may lead anywhere, because LINE Login's
 * consent form redirects to the service's callback and "Open link" to its invitation page.
 */
export const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'sha256-${crypto.createHash("sha256").update(STYLE).digest("base64")}'`,
  "img-src 'self' data: http: https:",
  "connect-src 'self'",
  "form-action 'self' http: https:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function page(title: string, body: Html, opts: { back?: string; script?: string } = {}): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body>
<header>${opts.back ? `<a href="${esc(opts.back)}" aria-label="Back">&#8592;</a>` : ""}<h1>${esc(title)}</h1><span class="muted tagline">LINE emulator</span></header>
<main>${body.value}</main>${opts.script ? `<script src="${esc(opts.script)}" defer></script>` : ""}</body></html>`;
}
