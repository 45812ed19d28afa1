import { describe, expect, it } from "vitest";
import { composeInvitationEmail, INVITATION_QR_CID, invitationCopyText, type MailLocale } from "./invitation-mail.ts";
import { invitationQrPng } from "./qr.ts";

const URL = "https://tsunagu.example/i/01JDZ8Q3R7W2X4Y5Z6A7B8C9D0?x=1&y=2";

describe("composeInvitationEmail", () => {
  const cases: [MailLocale, string, string, RegExp][] = [
    ["en", "Hanako Sato", "Demo Inc.", /invites you to chat on LINE/],
    ["ja", "佐藤 花子", "株式会社デモ商事", /LINEの友だち追加のご案内/],
    ["ko", "김민준", "데모 주식회사", /LINE 친구 추가 초대/],
  ];
  it.each(cases)("writes a localized %s invitation with the link and the inline QR", async (locale, member, company, subject) => {
    const qrPng = await invitationQrPng(URL);
    const mail = composeInvitationEmail({ locale, memberName: member, companyName: company, url: URL, qrPng, from: "noreply@tsunagu.example", to: ["guest@example.com"] });
    expect(mail.subject).toMatch(subject);
    expect(mail.subject).toContain(member);
    expect(mail.text).toContain(URL);
    expect(mail.text).toContain(company);
    // In HTML the URL's & is escaped; the link still points at the exact URL once parsed.
    expect(mail.html).toContain(`href="${URL.replace(/&/g, "&#38;")}"`);
    expect(mail.html).toContain(`src="cid:${INVITATION_QR_CID}"`);
    expect(mail.html).toContain(`<html lang="${locale}">`);
    expect(mail.attachments).toEqual([expect.objectContaining({ cid: INVITATION_QR_CID, contentType: "image/png", content: qrPng })]);
  });

  it("keeps hostile names and notes as text, and out of the headers", async () => {
    const mail = composeInvitationEmail({
      locale: "en",
      memberName: "<b>x</b>\r\nBcc: victim@example.com",
      companyName: `"Evil" & <Co>`,
      url: URL,
      qrPng: await invitationQrPng(URL),
      personalNote: `<img src=x onerror=alert(1)>\nSee you!`,
      from: "noreply@tsunagu.example",
      to: ["guest@example.com"],
    });
    const html = String(mail.html);
    expect(html).not.toContain("<b>x</b>");
    expect(html).toContain("&#60;b&#62;x&#60;/b&#62;");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&#60;img src=x onerror=alert(1)&#62;");
    expect(html).toContain("&#34;Evil&#34; &#38; &#60;Co&#62;");
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toContain("<b>x</b> Bcc: victim@example.com");
    expect(mail.text).toContain("See you!");
  });
});

describe("invitationCopyText", () => {
  it.each([
    ["en", /add me as a friend on LINE/],
    ["ja", /LINEで友だち追加してください/],
    ["ko", /LINE 친구로 추가해 주세요/],
  ] as const)("has the %s text with the member, the company and the URL", (locale, phrase) => {
    const text = invitationCopyText(locale, "Sato", "Demo", URL);
    expect(text).toMatch(phrase);
    expect(text).toContain("Sato");
    expect(text).toContain("Demo");
    expect(text.endsWith(`\n${URL}`)).toBe(true);
  });
});
