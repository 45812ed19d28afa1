import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import jsQR from "jsqr";
import { simpleParser } from "mailparser";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../../../test/support/browser.ts";
import { openTestDatabase } from "../../../test/support/fresh-database.ts";
import { migrate } from "../db/migrate.ts";
import { composeInvitationEmail, INVITATION_QR_CID } from "../invitations/invitation-mail.ts";
import { invitationQrPng } from "../invitations/qr.ts";
import { startMailCapture, type MailCapture } from "./capture.ts";
import { mailboxRoutes, type MailboxMessageJson } from "./mailbox-routes.ts";
import { createMailer, type Mailer } from "./mailer.ts";
import { startOutgoingMail } from "./outgoing.ts";


const INVITE_URL = "http://localhost:3000/i/01JDZ8Q3R7W2X4Y5Z6A7B8C9D0?via=mail&x=1";

describe("mail capture → mailbox", () => {
  let testDb: Awaited<ReturnType<typeof openTestDatabase>>;
  let capture: MailCapture;
  let mailer: Mailer;
  let mailbox: ReturnType<typeof mailboxRoutes>;

  beforeAll(async () => {
    testDb = await openTestDatabase();
    await migrate(testDb.db);
    capture = await startMailCapture({ db: testDb.db, maxBytes: 200_000 });
    mailer = createMailer({ smtpUrl: capture.smtpUrl });
    mailbox = mailboxRoutes(testDb.db);
  });

  afterAll(async () => {
    mailer?.close();
    await capture?.close();
    await testDb?.dispose();
  });

  async function listMessages(query = ""): Promise<MailboxMessageJson[]> {
    const res = await mailbox.request(`/api/messages${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as MailboxMessageJson[];
  }

  it("listens on loopback only", async () => {
    expect(capture.smtpUrl).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    await expect(startMailCapture({ db: testDb.db, host: "0.0.0.0" })).rejects.toThrow(/loopback/);
  });

  it("captures an invitation e-mail with its link and an inline QR code that scans", async () => {
    const qrPng = await invitationQrPng(INVITE_URL);
    const message = composeInvitationEmail({
      locale: "ja",
      memberName: "佐藤 花子",
      companyName: "株式会社デモ商事",
      url: INVITE_URL,
      qrPng,
      personalNote: "先日はありがとうございました。",
      from: "Tsunagu <noreply@tsunagu.example>",
      to: ["guest@example.com"],
    });
    const sent = await mailer.send(message);
    expect(sent.messageId).toMatch(/@/);

    // The capture answers only once the row is stored, so it is listed at once.
    const [mail] = await listMessages("?to=GUEST@example.com");
    expect(mail).toBeDefined();
    expect(mail!.subject).toBe("株式会社デモ商事の佐藤 花子さんからLINEの友だち追加のご案内");
    expect(mail!.from).toBe("noreply@tsunagu.example");
    expect(mail!.to).toEqual(["guest@example.com"]);
    expect(mail!.text).toContain(INVITE_URL);
    expect(mail!.text).toContain("先日はありがとうございました。");
    expect(mail!.html).toContain(`href="${INVITE_URL.replace(/&/g, "&#38;")}"`);
    expect(mail!.html).toContain(`cid:${INVITATION_QR_CID}`);
    expect(mail!.attachments).toEqual([{ filename: "line-invitation-qr.png", contentType: "image/png", cid: INVITATION_QR_CID, size: qrPng.length }]);

    const part = await mailbox.request(`/messages/${mail!.id}/parts/${encodeURIComponent(INVITATION_QR_CID)}`);
    expect(part.status).toBe(200);
    expect(part.headers.get("content-type")).toBe("image/png");
    const img = PNG.sync.read(Buffer.from(await part.arrayBuffer()));
    expect(jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data).toBe(INVITE_URL);

    // The message page points the inline image at that route, inside a sandboxed iframe.
    const view = await mailbox.request(`/messages/${mail!.id}`);
    const viewHtml = await view.text();
    expect(viewHtml).toContain(`<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"`);
    expect(viewHtml).toContain(`/__mail/messages/${mail!.id}/parts/${encodeURIComponent(INVITATION_QR_CID)}`);
    expect(view.headers.get("content-security-policy")).toContain("default-src 'none'");

    const raw = await mailbox.request(`/messages/${mail!.id}/raw`);
    expect(raw.headers.get("content-type")).toBe("message/rfc822");
    const reparsed = await simpleParser(Buffer.from(await raw.arrayBuffer()));
    expect(reparsed.subject).toBe(mail!.subject);
  });

  it("sends through the capture when SMTP_URL is unset, and through SMTP_URL when set", async () => {
    const embedded = await startOutgoingMail({ smtpUrl: undefined, db: testDb.db, devTools: true });
    try {
      await embedded.mailer.send({ from: "a@tsunagu.example", to: "embedded@example.com", subject: "embedded", text: "e" });
      const res = await embedded.mailbox!.request("/api/messages?to=embedded@example.com");
      expect(((await res.json()) as MailboxMessageJson[]).map((m) => m.subject)).toEqual(["embedded"]);
    } finally {
      await embedded.close();
    }
    // An explicit SMTP_URL (here: the suite's own capture) gets no mailbox of its own.
    const relayed = await startOutgoingMail({ smtpUrl: capture.smtpUrl, db: testDb.db, devTools: true });
    try {
      expect(relayed.mailbox).toBeUndefined();
      await relayed.mailer.send({ from: "a@tsunagu.example", to: "relayed@example.com", subject: "relayed", text: "r" });
      expect((await listMessages("?to=relayed@example.com")).map((m) => m.subject)).toEqual(["relayed"]);
    } finally {
      await relayed.close();
    }
  });

  it("lists newest first and filters by recipient", async () => {
    await mailer.send({ from: "a@tsunagu.example", to: "first@example.com", subject: "first", text: "1" });
    await mailer.send({ from: "a@tsunagu.example", to: "second@example.com", subject: "second", text: "2" });
    const all = await listMessages();
    expect(all.slice(0, 2).map((m) => m.subject)).toEqual(["second", "first"]);
    expect((await listMessages("?to=first@example.com")).map((m) => m.subject)).toEqual(["first"]);
    expect(await listMessages("?to=nobody@example.com")).toEqual([]);
  });

  it("escapes a hostile subject and body in the mailbox pages", async () => {
    const subject = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    await mailer.send({ from: "a@tsunagu.example", to: "victim@example.com", subject, text: "<b>bold?</b>", html: `<p onclick="x()">"quoted" & more</p>` });
    const [mail] = await listMessages("?to=victim@example.com");

    const list = await (await mailbox.request("/")).text();
    expect(list).not.toContain("<script>alert");
    expect(list).not.toContain("<img src=x");
    expect(list).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");

    const view = await (await mailbox.request(`/messages/${mail!.id}`)).text();
    expect(view).not.toContain("<script>alert");
    expect(view).toContain("&#60;b&#62;bold?&#60;/b&#62;");
    // The HTML body lives only inside the srcdoc attribute, escaped once more.
    expect(view).toContain(`&#60;p onclick=&#34;x()&#34;&#62;`);
    expect(view).not.toContain(`<p onclick`);
  });

  it("refuses a message over the size limit and stores nothing", async () => {
    const before = (await listMessages()).length;
    await expect(
      mailer.send({ from: "a@tsunagu.example", to: "big@example.com", subject: "big", text: "x".repeat(300_000) }),
    ).rejects.toThrow(/552|limit|size/i);
    expect((await listMessages()).length).toBe(before);
  });

  it("answers 404 for unknown messages and parts", async () => {
    expect((await mailbox.request("/messages/999999")).status).toBe(404);
    expect((await mailbox.request("/messages/abc/raw")).status).toBe(404);
    expect((await mailbox.request("/api/messages/999999")).status).toBe(404);
    const [mail] = await listMessages("?to=guest@example.com");
    expect((await mailbox.request(`/messages/${mail!.id}/parts/nope`)).status).toBe(404);
  });

  it("shows the inline QR in the sandboxed message view in Chromium, opens links, runs no mail script", async () => {
    const app = new Hono().route("/__mail", mailbox);
    const server = await new Promise<{ server: ServerType; port: number }>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ server: s, port: info.port }));
    });
    const browser = await launchBrowser();
    try {
      // The invitation points back at this server, so the link can be followed in the test.
      const inviteUrl = `http://127.0.0.1:${server.port}/__mail/api/messages?to=browser@example.com`;
      const qrPng = await invitationQrPng(inviteUrl);
      await mailer.send(composeInvitationEmail({ locale: "ko", memberName: "김민준", companyName: "데모 주식회사", url: inviteUrl, qrPng, from: "noreply@tsunagu.example", to: ["browser@example.com"] }));
      const [mail] = await listMessages("?to=browser@example.com");
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.port}/__mail`);
      await page.getByRole("link", { name: mail!.subject! }).click();
      const frame = page.frameLocator("iframe[title='HTML body']");
      const qr = frame.locator(`img[src*="/parts/"]`);
      await qr.waitFor();
      await expect.poll(() => qr.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(512);
      // The invitation button opens the link in a new tab.
      const [popup] = await Promise.all([page.waitForEvent("popup"), frame.getByRole("link", { name: "LINE 친구 추가" }).click()]);
      await popup.waitForLoadState();
      expect(popup.url()).toBe(inviteUrl);

      // Mail HTML never runs script: neither inline nor in event handlers.
      await mailer.send({
        from: "a@tsunagu.example",
        to: "script@example.com",
        subject: "scripted",
        html: `<p id="t">safe</p><script>document.getElementById("t").textContent = "pwned"</script><img src="data:," onerror="document.body.dataset.x = 'pwned'">`,
      });
      const [scripted] = await listMessages("?to=script@example.com");
      await page.goto(`http://127.0.0.1:${server.port}/__mail/messages/${scripted!.id}`);
      const scriptedFrame = page.frameLocator("iframe[title='HTML body']");
      await scriptedFrame.locator("#t").waitFor();
      await page.waitForTimeout(300);
      expect(await scriptedFrame.locator("#t").textContent()).toBe("safe");
      expect(await scriptedFrame.locator("body").getAttribute("data-x")).toBeNull();
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.server.close(() => resolve()));
    }
    // Starting Chromium is slow on a busy machine.
  }, 90_000);
});
