import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { en } from "../../src/web/i18n/en.ts";
import { ja } from "../../src/web/i18n/ja.ts";
import { ko } from "../../src/web/i18n/ko.ts";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, PC_VIEWPORT } from "../support/browser.ts";
import { TINY_PNG } from "../../src/server/contacts/test-support.ts";
import { addFriendThroughLink, emulatorOf } from "../support/line.ts";
import { shownNotifications, watchNotifications } from "../support/notifications.ts";
import { bootServer, DEMO_PASSWORD, signedIn, type TestServer } from "../support/server.ts";

// Issue 14: the main journeys in Japanese and Korean, on PC and on a phone, show no English
// sentence (neither one of our own strings left untranslated nor a server's English detail), and
// every screen passes an axe-core WCAG 2.1 AA scan with no violation.

type Messages = typeof en;
const LOCALES = { ja, ko } as const;
const LINE_NAME = "中村愛";
const KIM = "김민준";
const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 240_000;

let server: TestServer;
let browser: Browser;
let contactId: string;
let roomId: string;
let lineUserId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
  const [sato, kim] = await Promise.all([signedIn(server, "sato@demo.example"), signedIn(server, "kim@demo.example")]);
  // One LINE user befriends Kim, then Sato; the last message to Sato is a sticker (a preview to word).
  const emu = emulatorOf(server);
  const picture = Buffer.from(TINY_PNG([20, 120, 220])).toString("base64");
  const user = await emu.createUser({ displayName: LINE_NAME, pictureBase64: picture, pictureContentType: "image/png" });
  lineUserId = user.userId;
  for (const member of [kim, sato]) {
    const added = await addFriendThroughLink((await member.get("/api/v1/invitations/me")).json.url, user.userId);
    expect(added.status).toBe(302);
  }
  await emu.sendMessage(user.userId, server.demoLineChannelId!, { type: "sticker", packageId: "446", stickerId: "1988" });
  await server.worker.drain();
  const room = ((await sato.get("/api/v1/rooms")).json.items as { id: string; lastMessageType: string }[])[0]!;
  expect(room.lastMessageType).toBe("sticker");
  roomId = room.id;
  const added = await sato.post(`/api/v1/rooms/${roomId}/contact`);
  expect(added.status).toBe(201);
  contactId = added.json.contact.contactId;
  await server.worker.drain();
  // Kim chats with the LINE user, so Sato's delete is refused naming Kim.
  expect((await sato.delete(`/api/v1/contacts/${contactId}`)).json).toMatchObject({ code: "line_user_in_conversation", params: { members: KIM } });
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Every string of a locale with its key, flattened. */
function flatten(messages: object, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(messages)) {
    const at = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(at, value);
    else for (const [k, v] of flatten(value as object, at)) out.set(k, v);
  }
  return out;
}

/**
 * The English fragments that must not show on a screen in `lang`: the literal parts (between
 * {{placeholders}}) of every English string of two words or more whose translation differs,
 * unless the translations themselves quote it (a label of LINE's console, "Webhook URL").
 */
function untranslatedFragments(target: Messages): string[] {
  const translated = flatten(target);
  const quoted = [...translated.values()].join("\n");
  const fragments = new Set<string>();
  for (const [key, english] of flatten(en)) {
    if (translated.get(key) === english) continue;
    for (const part of english.split(/\{\{[^}]+\}\}/)) {
      const literal = part.trim();
      if (/[A-Za-z]{2,}[^\n]*\s[^\n]*[A-Za-z]{2,}/.test(literal) && literal.length >= 8 && !quoted.includes(literal)) fragments.add(literal);
    }
  }
  return [...fragments];
}

/** Three English words in a row: a sentence from somewhere (a server's detail, a hard-coded label). */
const ENGLISH_RUN = /[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}/g;
/** Data on the screens that is English by nature (the demo company and members' names, the brand). */
const DATA = ["Demo Company", "Alex Smith", "Tsunagu", "LINE Login", "Messaging API"];

async function englishOn(page: Page, fragments: string[]): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  const found = fragments.filter((f) => text.includes(f)).map((f) => `untranslated: "${f}"`);
  const scrubbed = DATA.reduce((s, d) => s.split(d).join(" "), text);
  for (const m of scrubbed.matchAll(ENGLISH_RUN)) found.push(`English: "${m[0]}"`);
  return found;
}

/** Checks one screen: no English, no axe violation; saves a screenshot when asked to (E2E_SCREENSHOT_DIR). */
async function checkScreen(page: Page, screen: string, fragments: string[], findings: string[]) {
  for (const e of await englishOn(page, fragments)) findings.push(`${screen}: ${e}`);
  for (const v of await axeViolations(page)) findings.push(`${screen}: axe ${v}`);
  const dir = process.env.E2E_SCREENSHOT_DIR;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${screen.replace(/[^a-z0-9-]+/gi, "_")}.png`), fullPage: false });
  }
}

async function signIn(page: Page, L: Messages, login: string) {
  await page.goto("/signin");
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: L.signIn.submit }).click();
  await page.getByRole("navigation", { name: L.nav.label }).waitFor();
}

/** Open real-time streams of a member's web apps. */
const liveStreams = async (login: string) =>
  (await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM live_streams s JOIN members m ON m.id = s.member_id WHERE m.email = $1", [login]))[0]!.n;

const cases = (["ja", "ko"] as const).flatMap((lang) => [
  { lang, device: "pc", viewport: PC_VIEWPORT },
  { lang, device: "phone", viewport: MOBILE_VIEWPORT },
]);

describe("journeys in Japanese and Korean", () => {
  for (const { lang, device, viewport } of cases) {
    it(`${lang} on ${device}: no English on any screen, and axe finds no WCAG 2.1 AA violation`, { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      const L = LOCALES[lang];
      const fragments = untranslatedFragments(L);
      const findings: string[] = [];
      const at = (screen: string) => `${lang}-${device}-${screen}`;
      await expect.poll(() => liveStreams("sato@demo.example"), { timeout: 15_000 }).toBe(0);
      const context = await newContext(browser, server.url, { viewport, locale: lang === "ja" ? "ja-JP" : "ko-KR" });
      try {
        await watchNotifications(context);
        const page = await context.newPage();

        // A wrong password: the server's refusal in the member's language.
        await page.goto("/signin");
        await page.locator('input[name="login"]').fill("sato@demo.example");
        await page.locator('input[name="password"]').fill("not-the-password");
        await page.getByRole("button", { name: L.signIn.submit }).click();
        await page.getByRole("alert").getByText(L.problems.signin_failed).waitFor();
        await checkScreen(page, at("signin-refused"), fragments, findings);

        await signIn(page, L, "sato@demo.example");

        // On another page, the LINE user sends a sticker: a notification worded in the member's
        // language, and the Message tab's badge and the title count the unread messages.
        await context.grantPermissions(["notifications"], { origin: server.url });
        await page.getByRole("navigation", { name: L.nav.label }).getByRole("link", { name: L.nav.contacts }).click();
        await page.waitForURL(/\/contacts/);
        await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
        // The page's event stream is open (the previous journey's closed with its browser).
        await expect.poll(() => liveStreams("sato@demo.example"), { timeout: 15_000 }).toBe(1);
        await emulatorOf(server).sendMessage(lineUserId, server.demoLineChannelId!, { type: "sticker", packageId: "446", stickerId: "1989" });
        await expect.poll(() => shownNotifications(page), { timeout: 20_000 }).toContainEqual({ title: LINE_NAME, body: L.rooms.previewKind.sticker, tag: `room-${roomId}` });
        const unread = await page.evaluate(async () => ((await (await fetch("/api/v1/me/unread")).json()) as { total: number }).total);
        expect(unread).toBeGreaterThan(0);
        await expect.poll(() => page.title()).toBe(`(${unread}) Tsunagu`);
        await expect.poll(() => page.getByRole("navigation", { name: L.nav.label }).locator(".nav-badge").innerText()).toBe(String(unread));
        await checkScreen(page, at("contacts-unread"), fragments, findings);

        await page.goto("/message");
        const rooms = page.getByRole("region", { name: L.rooms.listLabel });
        const roomLink = rooms.getByRole("link", { name: new RegExp(`^${LINE_NAME}`) });
        await roomLink.getByText(L.rooms.previewKind.sticker).waitFor();
        await checkScreen(page, at("message-list"), fragments, findings);

        await roomLink.click();
        await page.getByRole("region", { name: LINE_NAME }).waitFor();
        await page.waitForURL(new RegExp(`/message/${roomId}$`));
        await checkScreen(page, at("room"), fragments, findings);

        // The delete refusal names Kim in a sentence of the member's language; the dialog then
        // stops offering the same refused action.
        await page.goto(`/contacts/${contactId}`);
        const pane = page.getByRole("region", { name: LINE_NAME });
        await pane.getByRole("heading", { name: LINE_NAME, exact: true }).waitFor();
        await checkScreen(page, at("contact"), fragments, findings);
        await pane.getByRole("button", { name: L.contacts.delete, exact: true }).click();
        const dialog = page.getByRole("dialog", { name: L.contacts.deleteTitle.replace("{{name}}", LINE_NAME) });
        const confirm = dialog.getByRole("button", { name: L.contacts.deleteConfirm });
        await confirm.click();
        await dialog.getByRole("alert").getByText(L.problems.line_user_in_conversation.replace("{{members}}", KIM)).waitFor();
        expect(await confirm.isDisabled()).toBe(true);
        await checkScreen(page, at("delete-refused"), fragments, findings);
        await page.keyboard.press("Escape");
        // Reopened, the dialog starts fresh: no old refusal, the action offered again.
        await pane.getByRole("button", { name: L.contacts.delete, exact: true }).click();
        await expect.poll(() => dialog.getByRole("alert").count()).toBe(0);
        await expect.poll(() => confirm.isEnabled()).toBe(true);
        await page.keyboard.press("Escape");

        // A mistyped contact address is "not found", not a complaint about ids.
        await page.goto("/contacts/not-a-contact");
        await page.getByText(L.contacts.notFound).waitFor();
        await checkScreen(page, at("contact-not-found"), fragments, findings);

        await page.goto("/contacts");
        await page.getByRole("region", { name: L.contacts.listLabel }).getByRole("link", { name: new RegExp(`^${LINE_NAME}`) }).waitFor();
        await checkScreen(page, at("contacts"), fragments, findings);

        await page.goto("/contacts/new/line");
        await page.getByRole("heading", { name: L.invitations.messageIdTitle }).waitFor();
        await checkScreen(page, at("invitation"), fragments, findings);

        await page.goto("/me");
        await page.getByRole("heading", { level: 1 }).waitFor();
        await checkScreen(page, at("me"), fragments, findings);

        // The administrator's screens.
        await context.clearCookies();
        await signIn(page, L, "admin@demo.example");
        const adminScreens = [
          { path: "/admin", name: "admin-company" },
          { path: "/admin/contacts", name: "admin-contacts" },
          { path: "/admin/contact-settings", name: "admin-contact-settings" },
          { path: "/admin/line", name: "admin-line" },
          { path: "/admin/audit", name: "admin-audit" },
        ];
        for (const s of adminScreens) {
          await page.goto(s.path);
          await page.getByRole("navigation", { name: L.adminContacts.navLabel }).locator('[aria-current="page"]').waitFor();
          // A screen may load several panels at once: wait until none of them is still loading.
          await page.getByRole("status").filter({ hasText: L.common.loading }).first().waitFor({ state: "detached" });
          if (s.name === "admin-contacts") {
            // The LINE contact's photo, not an initial.
            await page.getByRole("link", { name: new RegExp(`^${LINE_NAME}`) }).locator("img.avatar").waitFor();
          }
          await checkScreen(page, at(s.name), fragments, findings);
        }
      } finally {
        await context.close();
      }
      expect(findings).toEqual([]);
    });
  }
});

describe("the invitation e-mail", () => {
  it("speaks the panel's language, not the app's: a Korean panel switched to English sends English mail", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    const context = await newContext(browser, server.url, { locale: "ko-KR" });
    try {
      const page = await context.newPage();
      await signIn(page, ko, "sato@demo.example");
      await page.goto("/contacts/new/line");
      await page.getByLabel(ko.invitations.language).selectOption("en");
      // The panel has switched once its card is the English one.
      await page.locator('img.invitation-card[src*="locale=en"]').waitFor();
      const email = page.getByRole("region", { name: ko.invitations.emailTitle });
      await email.getByLabel(ko.invitations.emailTo).fill("panel-english@example.com");
      await email.getByRole("button", { name: ko.invitations.emailSend }).click();
      await email.getByRole("status").getByText(ko.invitations.emailQueued_one.replace("{{count}}", "1")).waitFor();
      await server.worker.drain();
      let subject = "";
      await expect
        .poll(
          async () => {
            const res = await fetch(new URL(`/__mail/api/messages?to=${encodeURIComponent("panel-english@example.com")}`, server.url));
            subject = ((await res.json()) as { subject: string | null }[])[0]?.subject ?? "";
            return subject;
          },
          { timeout: 20_000 },
        )
        .not.toBe("");
      expect(subject).toBe("佐藤 花子 (Demo Company) invites you to chat on LINE");
    } finally {
      await context.close();
    }
  });
});
