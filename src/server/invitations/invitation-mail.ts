import type { SendMailOptions } from "nodemailer";

export type MailLocale = "en" | "ja" | "ko";

export interface InvitationEmailInput {
  locale: MailLocale;
  memberName: string;
  companyName: string;
  /** The member's invitation link (`https://<host>/i/<token>`). */
  url: string;
  qrPng: Buffer;
  personalNote?: string;
  from: string;
  to: string[];
}

/** Content-ID of the inline QR image; the HTML body refers to it as `cid:` + this. */
export const INVITATION_QR_CID = "invitation-qr@tsunagu";

interface Copy {
  subject(member: string, company: string): string;
  greeting(member: string, company: string): string;
  steps: string;
  button: string;
  qrCaption: string;
  noteHeading(member: string): string;
  footer: string;
  copyText(member: string, company: string, url: string): string;
}

const COPY: Record<MailLocale, Copy> = {
  en: {
    subject: (m, c) => `${m} (${c}) invites you to chat on LINE`,
    greeting: (m, c) => `${m} of ${c} would like to keep in touch with you on LINE.`,
    steps: "Open the link on your smartphone and add them as a friend on LINE, or scan the QR code with the LINE app.",
    button: "Add friend on LINE",
    qrCaption: "Scan with the LINE app",
    noteHeading: (m) => `A note from ${m}:`,
    footer: "You received this e-mail because a member of the company above sent you an invitation. If you do not know them, you can ignore it.",
    copyText: (m, c, url) => `Hello, this is ${m} of ${c}. Please add me as a friend on LINE so we can chat:\n${url}`,
  },
  ja: {
    subject: (m, c) => `${c}の${m}さんからLINEの友だち追加のご案内`,
    greeting: (m, c) => `${c}の${m}さんから、LINEでやり取りするための招待が届きました。`,
    steps: "スマートフォンでリンクを開いてLINEで友だち追加するか、LINEアプリでQRコードを読み取ってください。",
    button: "LINEで友だち追加",
    qrCaption: "LINEアプリで読み取ってください",
    noteHeading: (m) => `${m}さんからのメッセージ：`,
    footer: "このメールは、上記の会社のメンバーが招待を送信したため配信されています。心当たりのない場合は破棄してください。",
    copyText: (m, c, url) => `${c}の${m}です。こちらのリンクからLINEで友だち追加してください。\n${url}`,
  },
  ko: {
    subject: (m, c) => `${c} ${m}님의 LINE 친구 추가 초대`,
    greeting: (m, c) => `${c}의 ${m}님이 LINE으로 대화하기 위해 초대했습니다.`,
    steps: "스마트폰에서 링크를 열어 LINE 친구로 추가하거나, LINE 앱으로 QR 코드를 스캔하세요.",
    button: "LINE 친구 추가",
    qrCaption: "LINE 앱으로 스캔하세요",
    noteHeading: (m) => `${m}님의 메시지:`,
    footer: "이 메일은 위 회사의 멤버가 초대를 보내 발송되었습니다. 모르는 사람이라면 무시하셔도 됩니다.",
    copyText: (m, c, url) => `안녕하세요, ${c}의 ${m}입니다. 아래 링크에서 LINE 친구로 추가해 주세요.\n${url}`,
  },
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Names go into a header: line breaks and other controls could forge headers or garble it. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  return s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/** The "Copy Link" invitation text: what a member pastes into a chat or an SMS. */
export function invitationCopyText(locale: MailLocale, memberName: string, companyName: string, url: string): string {
  return COPY[locale].copyText(oneLine(memberName), oneLine(companyName), url);
}

/**
 * The invitation e-mail (PC "Send Email"): a localized subject, a plain-text body and an HTML
 * body with the link as a button and the QR code inline (cid:), so it shows without loading
 * remote images. Every user-given string is escaped in the HTML: a name like `<b>x</b>` is text.
 */
export function composeInvitationEmail(input: InvitationEmailInput): SendMailOptions {
  const copy = COPY[input.locale];
  const member = oneLine(input.memberName);
  const company = oneLine(input.companyName);
  const note = input.personalNote?.trim();

  const text = [
    copy.greeting(member, company),
    "",
    ...(note ? [copy.noteHeading(member), note, ""] : []),
    copy.steps,
    "",
    input.url,
    "",
    "--",
    copy.footer,
  ].join("\n");

  const e = escapeHtml;
  const noteHtml = note
    ? `<p style="margin:0 0 4px;color:#52606d;font-size:13px">${e(copy.noteHeading(member))}</p>
<blockquote style="margin:0 0 20px;padding:10px 14px;border-left:4px solid #06c755;background:#f5f7fa;white-space:pre-wrap">${e(note)}</blockquote>`
    : "";
  const html = `<!doctype html>
<html lang="${input.locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${e(copy.subject(member, company))}</title></head>
<body style="margin:0;padding:24px;background:#f0f2f5;font-family:-apple-system,'Segoe UI','Hiragino Sans','Apple SD Gothic Neo','Noto Sans JP','Noto Sans KR',sans-serif;color:#1f2933">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:12px;padding:28px">
<p style="margin:0 0 8px;font-size:13px;color:#0b8a3e;font-weight:bold">${e(company)}</p>
<p style="margin:0 0 20px;font-size:17px;line-height:1.5">${e(copy.greeting(member, company))}</p>
${noteHtml}<p style="margin:0 0 20px;line-height:1.6">${e(copy.steps)}</p>
<p style="margin:0 0 24px;text-align:center"><a href="${e(input.url)}" style="display:inline-block;padding:12px 28px;background:#047a35;color:#ffffff;text-decoration:none;border-radius:8px;font-weight:bold">${e(copy.button)}</a></p>
<p style="margin:0 0 24px;text-align:center;font-size:13px;word-break:break-all"><a href="${e(input.url)}" style="color:#0b8a3e">${e(input.url)}</a></p>
<div style="text-align:center"><img src="cid:${INVITATION_QR_CID}" width="200" height="200" alt="${e(copy.qrCaption)}" style="display:inline-block">
<p style="margin:4px 0 0;font-size:12px;color:#52606d">${e(copy.qrCaption)}</p></div>
</div>
<p style="max-width:560px;margin:16px auto 0;font-size:11px;color:#8a94a6;line-height:1.5">${e(copy.footer)}</p>
</body>
</html>`;

  return {
    from: input.from,
    to: input.to,
    subject: copy.subject(member, company),
    text,
    html,
    attachments: [{ filename: "line-invitation-qr.png", content: input.qrPng, contentType: "image/png", cid: INVITATION_QR_CID, contentDisposition: "inline" }],
  };
}
