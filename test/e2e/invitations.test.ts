import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, signInThroughUi } from "../support/browser.ts";
import { bootServer, type TestServer } from "../support/server.ts";

// DESIGN §3 end to end: the six ways a LINE user reaches a member — invitation link, QR code,
// business card, e-mail, copy-link text and My Message ID search. Sato works in the web app in
// one browser profile; each LINE user acts in the emulator's UI in another. Every path must end
// with a new room in Sato's Message list while it is open (no reload).

let server: TestServer;
let browser: Browser;
let emulatorUrl: string;

const BOOT_TIMEOUT_MS = 120_000;
// Several browser round trips through three origins' pages per path.
const JOURNEY_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
  if (!server.lineEmulator) throw new Error("bootServer() started no LINE emulator");
  emulatorUrl = server.lineEmulator.url;
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh LINE user in its own browser profile, created in the emulator UI. */
async function lineUser(name: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, emulatorUrl, { viewport: MOBILE_VIEWPORT });
  const page = await context.newPage();
  await page.goto(`${emulatorUrl}/`);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Create" }).click();
  await expect.poll(() => page.locator("#me-name").textContent()).toBe(name);
  return { context, page };
}

/** From Tsunagu's invitation landing page through LINE Login's consent (adding the account as a friend). */
async function acceptInvitation(page: Page) {
  await page.getByRole("link", { name: "Add friend on LINE" }).waitFor();
  expect(await axeViolations(page)).toEqual([]);
  await page.getByRole("link", { name: "Add friend on LINE" }).click();
  await page.getByRole("button", { name: "Allow" }).waitFor();
  const addFriend = page.getByRole("checkbox", { name: /as a friend/ });
  if (await addFriend.count()) await addFriend.check();
  await page.getByRole("button", { name: "Allow" }).click();
  // Tsunagu sends the LINE user on to the chat; waiting for the page to leave the consent form
  // is enough, the room itself is checked on Sato's side.
  await expect.poll(() => new URL(page.url()).pathname).not.toBe("/oauth2/v2.1/authorize");
}

async function openLinkInEmulator(page: Page, url: string) {
  await page.goto(`${emulatorUrl}/`);
  await page.getByLabel("Invitation URL").fill(url);
  await page.getByRole("button", { name: "Open", exact: true }).click();
  await acceptInvitation(page);
}

async function scanInEmulator(page: Page, pngPath: string) {
  await page.goto(`${emulatorUrl}/`);
  await page.getByLabel("QR code image (PNG)").setInputFiles(pngPath);
  await page.getByRole("button", { name: "Scan", exact: true }).click();
  await acceptInvitation(page);
}

/** Waits for the LINE user's room to appear in the (already open) Message list. */
async function roomAppears(list: Page, name: string) {
  await list.getByRole("region", { name: "Rooms" }).getByRole("link", { name: new RegExp(`^${name}`) }).waitFor({ timeout: 20_000 });
}

const INVITATION_LINK = /https?:\/\/\S+\/i\/[A-Za-z0-9_-]+(\?\S*)?/;

async function mailTo(address: string): Promise<string> {
  let text = "";
  await expect
    .poll(
      async () => {
        const res = await fetch(new URL(`/__mail/api/messages?to=${encodeURIComponent(address)}`, server.url));
        const mails = (await res.json()) as { text: string | null }[];
        text = mails[0]?.text ?? "";
        return text;
      },
      { timeout: 20_000 },
    )
    .toMatch(INVITATION_LINK);
  return text;
}

describe("invitations in the web app, answered from the LINE emulator", () => {
  it("all six ways in: link, QR, card, e-mail, copy link and Message ID search", { timeout: 6 * JOURNEY_TIMEOUT_MS }, async () => {
    const sato = await newContext(browser, server.url, { permissions: ["clipboard-read", "clipboard-write"] });
    const users: BrowserContext[] = [];
    try {
      const list = await sato.newPage();
      await signInThroughUi(list, "sato@demo.example");
      await list.getByRole("heading", { name: "No LINE rooms yet" }).waitFor();

      // PC: Contacts → New → External Contact → LINE User.
      const panel = await sato.newPage();
      await panel.goto("/contacts");
      await panel.getByRole("button", { name: "New" }).click();
      await panel.getByRole("link", { name: "External Contact" }).click();
      await panel.getByRole("navigation", { name: "Kind of contact" }).getByRole("link", { name: "LINE User" }).click();
      await panel.getByRole("heading", { name: "Add a LINE user" }).waitFor();
      await panel.getByRole("img", { name: "QR code of your invitation link" }).waitFor();
      const url = (await panel.locator(".invitation-url").textContent())!;
      expect(url).toMatch(INVITATION_LINK);
      expect(await axeViolations(panel)).toEqual([]);

      // (1) The link, opened in the emulator's "Open link".
      const u1 = await lineUser("Link User");
      users.push(u1.context);
      await openLinkInEmulator(u1.page, url);
      await roomAppears(list, "Link User");

      // (2) The QR code saved from the panel and scanned.
      const qrDownload = panel.waitForEvent("download");
      await panel.getByRole("link", { name: "Save QR" }).click();
      const qrPath = await (await qrDownload).path();
      const u2 = await lineUser("QR User");
      users.push(u2.context);
      await scanInEmulator(u2.page, qrPath);
      await roomAppears(list, "QR User");

      // (3) The business card saved from the panel and scanned.
      const cardDownload = panel.waitForEvent("download");
      await panel.getByRole("link", { name: "Save card" }).click();
      const cardPath = await (await cardDownload).path();
      const u3 = await lineUser("Card User");
      users.push(u3.context);
      await scanInEmulator(u3.page, cardPath);
      await roomAppears(list, "Card User");

      // (4) An e-mail: a wrong address is refused before sending, then the link is read from the mailbox.
      const email = panel.getByRole("region", { name: "Send Email" });
      await email.getByLabel("E-mail addresses").fill("guest4@example.com, not-an-address");
      await email.getByRole("button", { name: "Send Email" }).click();
      await email.getByRole("alert").getByText("Not an e-mail address: not-an-address").waitFor();
      expect(await axeViolations(panel)).toEqual([]);
      await email.getByLabel("E-mail addresses").fill("guest4@example.com");
      await email.getByLabel("Note (optional)").fill("Nice to meet you");
      await email.getByRole("button", { name: "Send Email" }).click();
      await email.getByRole("status").getByText("Invitation sent to 1 address").waitFor();
      const mail = await mailTo("guest4@example.com");
      expect(mail).toContain("Nice to meet you");
      const u4 = await lineUser("Mail User");
      users.push(u4.context);
      await openLinkInEmulator(u4.page, mail.match(INVITATION_LINK)![0]);
      await roomAppears(list, "Mail User");

      // (5) "Copy Link": the text on the clipboard carries the link.
      await panel.getByRole("button", { name: "Copy Link" }).click();
      await panel.getByRole("status").getByText("Copied").first().waitFor();
      const copied = await panel.evaluate(() => navigator.clipboard.readText());
      expect(copied).toMatch(INVITATION_LINK);
      expect(copied).toContain("via=copy_link");
      const u5 = await lineUser("Copy User");
      users.push(u5.context);
      await openLinkInEmulator(u5.page, copied.match(INVITATION_LINK)![0]);
      await roomAppears(list, "Copy User");

      // (6) "Search ID" with Sato's Message ID, as shown on the panel.
      const messageId = (await panel.locator(".message-id").textContent())!;
      expect(messageId).toBe("sato");
      const u6 = await lineUser("Search User");
      users.push(u6.context);
      await u6.page.getByLabel("Message ID").fill(messageId);
      await u6.page.getByRole("button", { name: "Search", exact: true }).click();
      await roomAppears(list, "Search User");

      // Every room came live into the one list Sato kept open.
      expect(await list.getByRole("region", { name: "Rooms" }).getByRole("listitem").count()).toBe(6);

      // Reset: after confirming, the old link stops working and the panel shows a new one.
      await panel.getByRole("button", { name: "Reset link" }).click();
      const dialog = panel.getByRole("dialog", { name: "Reset your invitation link?" });
      await dialog.getByText("The old link, QR code and business card will stop working").waitFor();
      await dialog.getByRole("button", { name: "Reset", exact: true }).click();
      await panel.getByRole("status").getByText("New invitation link created").waitFor();
      await expect.poll(() => panel.locator(".invitation-url").textContent()).not.toBe(url);
      expect((await fetch(url)).status).toBe(410);
    } finally {
      await Promise.all([sato.close(), ...users.map((c) => c.close())]);
    }
  });

  it("mobile: Contacts → + → Add External Contacts → LINE User, and the empty Message list links to it", async () => {
    const context = await newContext(browser, server.url, { viewport: MOBILE_VIEWPORT });
    try {
      const page = await context.newPage();
      await signInThroughUi(page, "kim@demo.example");
      await page.getByRole("heading", { name: "No LINE rooms yet" }).waitFor();
      await page.getByRole("link", { name: "Add a LINE user" }).click();
      await page.getByRole("heading", { name: "Add a LINE user" }).waitFor();

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts", exact: true }).click();
      await page.getByRole("button", { name: "New" }).click();
      await page.getByRole("link", { name: "Add External Contacts" }).click();
      await page.getByRole("link", { name: "LINE User" }).click();
      await page.getByRole("img", { name: "QR code of your invitation link" }).waitFor();
      await page.getByRole("link", { name: "Save QR" }).waitFor();
      await page.getByRole("button", { name: "Copy Link" }).waitFor();
      // "Send Email" is a PC feature.
      expect(await page.getByRole("region", { name: "Send Email" }).count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      // Nothing sticks out sideways on a phone.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
    } finally {
      await context.close();
    }
  });
});
