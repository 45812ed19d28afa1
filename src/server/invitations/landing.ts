import { Hono } from "hono";
import { InvitationViaSchema, type Locale } from "../../shared/invitations.ts";
import { serveContent } from "../files/content-policy.ts";
import { htmlPolicy } from "../http/security-headers.ts";
import type { AppEnv } from "../http/env.ts";
import type { InvitationService } from "./service.ts";

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const T: Record<Locale, Record<string, string>> = {
  en: {
    title: "Add {name} on LINE",
    add: "Add friend on LINE",
    hint: "You will sign in with LINE and add {company}'s account as a friend. Then you can chat with {name}.",
    invalid: "This invitation is no longer valid",
    invalidText: "The link was reset or the person's ID changed. Ask them for a new invitation.",
    unavailable: "This invitation is not available",
    unavailableText: "This person cannot be reached on LINE at the moment.",
    noChannel: "The company has not connected its LINE account yet.",
    failed: "Adding the friend did not finish. You can try again.",
  },
  ja: {
    title: "{name}をLINEで友だち追加",
    add: "LINEで友だち追加",
    hint: "LINEでログインし、{company}のアカウントを友だち追加します。その後、{name}とトークできます。",
    invalid: "この招待は無効になりました",
    invalidText: "リンクがリセットされたか、IDが変更されました。新しい招待を依頼してください。",
    unavailable: "この招待は現在利用できません",
    unavailableText: "現在この方とはLINEでやり取りできません。",
    noChannel: "この会社はまだLINEアカウントを接続していません。",
    failed: "友だち追加が完了しませんでした。もう一度お試しください。",
  },
  ko: {
    title: "LINE에서 {name}님 친구 추가",
    add: "LINE 친구 추가",
    hint: "LINE으로 로그인하여 {company} 계정을 친구로 추가합니다. 그 후 {name}님과 대화할 수 있습니다.",
    invalid: "이 초대는 더 이상 유효하지 않습니다",
    invalidText: "링크가 재설정되었거나 ID가 변경되었습니다. 새 초대를 요청하세요.",
    unavailable: "이 초대는 현재 사용할 수 없습니다",
    unavailableText: "현재 이분과 LINE으로 대화할 수 없습니다.",
    noChannel: "회사가 아직 LINE 계정을 연결하지 않았습니다.",
    failed: "친구 추가가 완료되지 않았습니다. 다시 시도해 주세요.",
  },
};

function localeOf(header: string | undefined): Locale {
  for (const part of (header ?? "").split(",")) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (tag === "ja" || tag === "ko" || tag === "en") return tag;
  }
  return "en";
}

const fill = (s: string, v: Record<string, string>) => s.replace(/\{(\w+)\}/g, (_, k: string) => v[k] ?? "");

/** The page's only style; its hash is the one inline style its CSP allows. */
const STYLE = `body{margin:0;font-family:system-ui,"Hiragino Sans","Noto Sans JP","Noto Sans KR",sans-serif;background:#f2f4f7;color:#1d2433}
main{max-width:26rem;margin:0 auto;padding:2rem 1rem}
.card{background:#fff;border-radius:16px;padding:1.5rem;box-shadow:0 2px 12px rgba(0,0,0,.08);text-align:center}
.photo{width:96px;height:96px;border-radius:50%;object-fit:cover;background:#d9dee8;display:inline-flex;align-items:center;justify-content:center;font-size:2.5rem;color:#fff}
h1{font-size:1.35rem;margin:.75rem 0 .25rem}.company{color:#5b6475;margin:0 0 1rem}
a.add{display:block;background:#047a35;color:#fff;text-decoration:none;font-weight:600;padding:.9rem;border-radius:10px;margin-top:1rem}
a.add:focus{outline:3px solid #1d2433;outline-offset:2px}.hint{font-size:.85rem;color:#5b6475}.error{color:#b42318}`;
const PAGE_POLICY = htmlPolicy({ inlineStyles: [STYLE] });

function page(lang: Locale, title: string, body: string) {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>
<style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** The public invitation pages: `/i/:token` (mobile-first card + "Add friend"), `/i/:token/add`, `/i/:token/photo`. */
export function landingRoutes(invitations: InvitationService) {
  const app = new Hono<AppEnv>();

  app.get("/:token", async (c) => {
    const lang = localeOf(c.req.header("accept-language"));
    const t = T[lang];
    const state = await invitations.landing(c.req.param("token"));
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Content-Security-Policy", PAGE_POLICY);
    if (state.kind === "invalid") return c.html(page(lang, t.invalid!, `<div class="card"><h1>${esc(t.invalid!)}</h1><p>${esc(t.invalidText!)}</p></div>`), 410);
    if (state.kind === "unavailable") {
      const text = state.reason === "no_channel" ? t.noChannel! : t.unavailableText!;
      return c.html(page(lang, t.unavailable!, `<div class="card"><h1>${esc(t.unavailable!)}</h1><p>${esc(text)}</p></div>`), 403);
    }
    const { member, tenant } = state;
    const via = InvitationViaSchema.catch("link").parse(c.req.query("via") ?? "link");
    const vars = { name: member.display_name, company: tenant.name };
    const token = encodeURIComponent(c.req.param("token"));
    const photo = member.photo_key
      ? `<img class="photo" src="/i/${token}/photo" alt="">`
      : `<span class="photo" aria-hidden="true">${esc([...member.display_name][0] ?? "?")}</span>`;
    const failed = c.req.query("result") ? `<p class="error" role="alert">${esc(t.failed!)}</p>` : "";
    return c.html(
      page(
        lang,
        fill(t.title!, vars),
        // The status message LINE shows is the company name (DESIGN §2.2), so one line says both.
        `<div class="card">${photo}<h1>${esc(member.display_name)}</h1><p class="company">${esc(tenant.name)}</p>${failed}
<a class="add" href="/i/${token}/add?via=${via}">${esc(t.add!)}</a>
<p class="hint">${esc(fill(t.hint!, vars))}</p></div>`,
      ),
    );
  });

  app.get("/:token/add", async (c) => {
    const via = InvitationViaSchema.catch("link").parse(c.req.query("via") ?? "link");
    const result = await invitations.startFriendAdd(c.req.param("token"), via);
    if (result.kind === "redirect") return c.redirect(result.url, 302);
    return c.redirect(`/i/${encodeURIComponent(c.req.param("token"))}`, 302);
  });

  app.get("/:token/photo", async (c) => {
    const photo = await invitations.memberPhoto(c.req.param("token"));
    if (!photo) return c.body(null, 404);
    return serveContent(c, photo.bytes, { embed: "same-origin", cacheControl: "private, max-age=300" });
  });

  return app;
}
