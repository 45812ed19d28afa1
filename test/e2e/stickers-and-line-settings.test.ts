import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, PC_VIEWPORT, signInThroughUi } from "../support/browser.ts";
import { addFriendThroughLink, emulatorOf } from "../support/line.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../support/server.ts";

// Issue 11 in the web app, on PC and phone: the member sees stickers as pictures (from the
// emulator's sticker images, through our server) in the room list, the history and the picker,
// with the sticker's words when a picture cannot be had; the room shows the card and greeting the
// LINE user got; the administrator changes the LINE account's settings with the keyboard alone.

let server: TestServer;
let browser: Browser;
let admin: ApiClient;

const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 90_000;
const SHOTS = process.env.SHOTS_DIR;

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
  admin = await signedIn(server, "admin@demo.example");
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
};

const stickerPath = (id: string) => `/stickershop/v1/sticker/${id}/android/sticker.png`;
/** True once the image has really been drawn (a broken image has no natural width). */
const drawn = (img: Locator) => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0);

/** A LINE user befriends Sato by link and sends a sticker whose picture loads, then one whose picture LINE cannot give. */
async function friendSendingStickers(name: string, brokenStickerId: string) {
  const emu = emulatorOf(server);
  const channelId = server.demoLineChannelId!;
  const sato = await signedIn(server, "sato@demo.example");
  const user = await emu.createUser({ displayName: name, language: "en" });
  await addFriendThroughLink((await sato.get("/api/v1/invitations/me")).json.url, user.userId);
  await emu.addFault({ path: stickerPath(brokenStickerId), status: 404, times: 1 });
  await emu.sendMessage(user.userId, channelId, { type: "sticker", packageId: "789", stickerId: brokenStickerId });
  await emu.sendMessage(user.userId, channelId, { type: "sticker", packageId: "446", stickerId: "1990" });
  await server.worker.drain();
}

async function stickerJourney(viewport: { width: number; height: number }, tag: string) {
  const name = `Sticker Fan ${tag}`;
  const broken = tag === "pc" ? "990001" : "990002";
  await friendSendingStickers(name, broken);
  const context = await newContext(browser, server.url, { viewport });
  try {
    const page = await context.newPage();
    await signInThroughUi(page, "sato@demo.example");
    const rooms = page.getByRole("region", { name: "Rooms" });
    const row = rooms.getByRole("link", { name: new RegExp(`^${name}`) });
    // The room list shows the last sticker as a small picture beside "[Sticker]".
    await row.getByText("[Sticker]").waitFor();
    await expect.poll(() => drawn(row.locator("img.sticker-image"))).toBe(true);
    await shot(page, `stickers-room-list-${tag}`);
    await row.click();

    const history = page.getByRole("list", { name: "Messages" });
    const sticker = history.getByRole("img", { name: "Sticker 446/1990" });
    await sticker.waitFor();
    await expect.poll(() => drawn(sticker)).toBe(true);
    expect(await sticker.evaluate((el) => el.tagName)).toBe("IMG");
    // LINE had no picture for the other sticker: its words show in its place, visibly.
    await history.getByText(`Sticker 789/${broken}`).waitFor();
    expect(await history.getByRole("img", { name: `Sticker 789/${broken}` }).evaluate((el) => el.tagName)).toBe("SPAN");
    // What the LINE user was shown on connecting is in the history too.
    await history.getByText("Your card was sent").waitFor();
    await history.getByText("Hello, this is 佐藤 花子 of Demo Company. Messages you send in this chat reach me.").waitFor();
    await sticker.scrollIntoViewIfNeeded();
    await shot(page, `stickers-history-${tag}`);

    // The picker shows pictures too, and sends with the keyboard.
    const room = page.getByRole("region", { name });
    const open = room.getByRole("button", { name: "Stickers" });
    await open.focus();
    await page.keyboard.press("Enter");
    const choice = room.getByRole("group", { name: "Choose a sticker" }).getByRole("button", { name: "Sticker 446/1992" });
    await expect.poll(() => drawn(choice.locator("img"))).toBe(true);
    await shot(page, `stickers-picker-${tag}`);
    expect(await axeViolations(page)).toEqual([]);
    await choice.focus();
    await page.keyboard.press("Enter");
    const sent = history.getByRole("listitem").filter({ has: page.getByRole("img", { name: "Sticker 446/1992" }) });
    await sent.getByText("Sent", { exact: true }).waitFor({ timeout: 15_000 });
    await expect.poll(() => drawn(sent.getByRole("img", { name: "Sticker 446/1992" }))).toBe(true);
  } finally {
    await context.close();
  }
  await emulatorChat(name, viewport, tag);
}

/** The LINE user's side in the emulator's chat: the card, and stickers both ways drawn as pictures, with no internet. */
async function emulatorChat(name: string, viewport: { width: number; height: number }, tag: string) {
  const emulatorUrl = server.lineEmulator!.url;
  const context = await newContext(browser, emulatorUrl, { viewport });
  try {
    const page = await context.newPage();
    await page.goto(`${emulatorUrl}/`);
    await page.getByRole("listitem").filter({ hasText: name }).getByRole("button", { name: "Use" }).click();
    await page.goto(`${emulatorUrl}/ui/chat/${server.demoLineChannelId!}`);
    const chat = page.locator("#messages");
    await expect.poll(() => drawn(chat.locator(".msg.user img.sticker[alt=OK]"))).toBe(true);
    // Sato's sticker (446/1992: "Sad") came back through LINE and is drawn the same way.
    await expect.poll(() => drawn(chat.locator(".msg.bot img.sticker[alt=Sad]"))).toBe(true);
    await chat.locator(".fx-bubble").first().waitFor();
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await shot(page, `emulator-chat-${tag}`);
  } finally {
    await context.close();
  }
}

async function settingsJourney(viewport: { width: number; height: number }, tag: string) {
  const context = await newContext(browser, server.url, { viewport });
  try {
    const page = await context.newPage();
    await signInThroughUi(page, "admin@demo.example");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin", exact: true }).click();
    await page.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "LINE channels" }).click();
    const section = page.getByRole("region", { name: "How the LINE account behaves" });
    const language = section.getByLabel("Language for LINE users");
    await language.waitFor();
    expect(await language.inputValue()).toBe("en");
    await section.scrollIntoViewIfNeeded();
    await shot(page, `line-settings-before-${tag}`);
    expect(await axeViolations(page)).toEqual([]);

    // Keyboard only: the language one step down (Japanese), Tab to "Read", Space, Tab twice to Save, Enter.
    await language.focus();
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => language.inputValue()).toBe("ja");
    await page.keyboard.press("Tab");
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest("label")?.textContent ?? "")).toContain("Read");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? "")).toBe("Save account settings");
    await page.keyboard.press("Enter");
    await page.getByText("LINE account settings saved").waitFor();
    await expect.poll(async () => (await admin.get("/api/v1/me")).json.tenant.lineAccount).toEqual({ language: "ja", readReceipts: false, typing: true });
    // The form starts again from what the server holds.
    expect(await section.getByLabel("Language for LINE users").inputValue()).toBe("ja");
    expect(await section.getByRole("checkbox", { name: /Read/ }).isChecked()).toBe(false);
    if (tag === "phone") expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
    await shot(page, `line-settings-saved-${tag}`);

    // The audit log says what changed.
    await page.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Audit log" }).click();
    await page.getByText("changed how the LINE account behaves").first().waitFor();
    await page.getByText('language: English → Japanese · "Read": on → off').first().waitFor();
    await shot(page, `line-settings-audit-${tag}`);
  } finally {
    await context.close();
    await admin.put("/api/v1/admin/line-account", { language: "en", readReceipts: true, typing: true });
  }
}

describe("stickers as pictures", () => {
  it("PC: room list, history (with a text fallback) and picker show sticker pictures", { timeout: JOURNEY_TIMEOUT_MS }, () => stickerJourney(PC_VIEWPORT, "pc"));
  it("phone: the same", { timeout: JOURNEY_TIMEOUT_MS }, () => stickerJourney(MOBILE_VIEWPORT, "phone"));
});

describe("LINE account settings", () => {
  it("PC: the administrator changes language and read receipts with the keyboard; the audit log says so", { timeout: JOURNEY_TIMEOUT_MS }, () =>
    settingsJourney(PC_VIEWPORT, "pc"));
  it("phone: the same, without sideways scrolling", { timeout: JOURNEY_TIMEOUT_MS }, () => settingsJourney(MOBILE_VIEWPORT, "phone"));
});
