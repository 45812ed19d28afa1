import { PNG } from "pngjs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, signInThroughUi } from "../support/browser.ts";
import { addFriendThroughLink, emulatorOf } from "../support/line.ts";
import { bootServer, signedIn, type TestServer } from "../support/server.ts";

// DESIGN §4 end to end: a member and a LINE user chat both ways (text, stickers, a photo) in the
// web app and the emulator's UI, on PC and on a phone (a GIF from the member reaches the LINE user as
// its first frame, an image LINE shows); hostile names stay text; a block
// disables sending.

let server: TestServer;
let browser: Browser;
let emulatorUrl: string;
let channelId: string;
let invitationUrl: string;

const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 90_000;
const XSS = "<img src=x onerror=alert(1)>";

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
  if (!server.lineEmulator || !server.demoLineChannelId) throw new Error("bootServer() started no LINE emulator");
  emulatorUrl = server.lineEmulator.url;
  channelId = server.demoLineChannelId;
  const sato = await signedIn(server, "sato@demo.example");
  const invitation = await sato.get("/api/v1/invitations/me");
  expect(invitation.status).toBe(200);
  invitationUrl = invitation.json.url;
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * A LINE user created in the emulator's UI (its own browser profile, at a phone size) who has
 * added Sato through the invitation link; the page is left on the chat with the company.
 */
async function lineFriendOfSato(displayName: string, statusMessage = ""): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, emulatorUrl, { viewport: MOBILE_VIEWPORT });
  const page = await context.newPage();
  await page.goto(`${emulatorUrl}/`);
  await page.getByLabel("Display name").fill(displayName);
  await page.getByLabel("Status message").fill(statusMessage);
  await page.getByRole("button", { name: "Create" }).click();
  await expect.poll(() => page.locator("#me-name").textContent()).toBe(displayName);
  const user = (await emulatorOf(server).users()).find((u) => u.displayName === displayName)!;
  const added = await addFriendThroughLink(invitationUrl, user.userId);
  expect(added.status).toBe(302);
  await page.goto(`${emulatorUrl}/ui/chat/${channelId}`);
  return { context, page };
}

/** Two frames, red then blue, 48×32: what a member might send from a GIF keyboard. */
async function twoFrameGif(): Promise<Buffer> {
  const frame = (colour: string) => sharp({ create: { width: 48, height: 32, channels: 3, background: colour } }).png().toBuffer();
  return sharp([await frame("#ff0000"), await frame("#0000ff")], { join: { animated: true } }).gif({ delay: [300, 300] }).toBuffer();
}

function tinyPng(): Buffer {
  const png = new PNG({ width: 8, height: 8 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([0x06, 0xc7, 0x55, 0xff], i);
  return PNG.sync.write(png);
}

const rooms = (page: Page) => page.getByRole("region", { name: "Rooms" });
const history = (page: Page) => page.getByRole("list", { name: "Messages" });
/** The emulator UI polls its chat every 1.5 s; what the company sent shows as `.msg.bot`. */
const botMessages = (page: Page) => page.locator(".msg.bot");

async function chatBothWays(viewport?: { width: number; height: number }) {
  const name = viewport ? "Phone Friend" : "Desk Friend";
  const line = await lineFriendOfSato(name, "Out fishing");
  const sato = await newContext(browser, server.url, viewport ? { viewport } : {});
  try {
    const page = await sato.newPage();
    await signInThroughUi(page, "sato@demo.example");
    const row = rooms(page).getByRole("link", { name: new RegExp(`^${name}`) });
    await row.waitFor();

    // A message while Sato looks at the list: preview and unread badge arrive live.
    await line.page.getByLabel("Message").fill("Hello from LINE");
    await line.page.getByRole("button", { name: "Send", exact: true }).click();
    await row.getByText("Hello from LINE").waitFor();
    await row.getByText("1 unread message").waitFor();
    // The LINE filter keeps LINE rooms; search by display name narrows the list.
    await rooms(page).getByRole("button", { name: "LINE", exact: true }).click();
    await row.waitFor();
    await rooms(page).getByPlaceholder("Search by LINE name").fill("no such person");
    await rooms(page).getByText("No rooms match your search.").waitFor();
    await rooms(page).getByPlaceholder("Search by LINE name").fill(name.slice(0, 5));
    await row.click();

    const room = page.getByRole("region", { name });
    await room.getByRole("heading", { name }).waitFor();
    await room.getByText("Out fishing").waitFor();
    await room.getByText("Messages sent to LINE cannot be recalled.").waitFor();
    if (viewport) {
      // The room is its own page on a phone: the list is gone, a back button leads to it.
      expect(await rooms(page).isVisible()).toBe(false);
      await room.getByRole("link", { name: "Back to rooms" }).waitFor();
    }
    await history(page).getByText("Hello from LINE").waitFor();
    // Opening the room read it.
    await expect.poll(() => rooms(page).getByText("1 unread message").count()).toBe(0);

    // Sato answers in two lines (Shift+Enter), sent with Enter.
    const composer = room.getByRole("textbox", { name: "Message" });
    await composer.fill("Hi!");
    await composer.press("Shift+Enter");
    await composer.pressSequentially("Second line");
    await composer.press("Enter");
    const mine = history(page).getByRole("listitem").filter({ hasText: "Second line" });
    await mine.getByText("Sent", { exact: true }).waitFor({ timeout: 15_000 });
    expect(await mine.locator(".message-text").innerText()).toBe("Hi!\nSecond line");
    expect(await composer.inputValue()).toBe("");
    await expect.poll(() => botMessages(line.page).last().textContent(), { timeout: 10_000 }).toContain("Second line");

    // A sticker each way.
    await room.getByRole("button", { name: "Stickers" }).click();
    await room.getByRole("group", { name: "Choose a sticker" }).getByRole("button", { name: "Sticker 446/1990" }).click();
    await history(page).getByRole("img", { name: "Sticker 446/1990" }).waitFor();
    // The emulator draws the sticker as LINE does: its picture (alt text: the sticker's word).
    await expect.poll(() => botMessages(line.page).last().locator("img.sticker").getAttribute("alt"), { timeout: 10_000 }).toBe("OK");
    await line.page.getByRole("button", { name: "sticker 1991" }).click();
    await history(page).getByRole("img", { name: "Sticker 446/1991" }).waitFor();

    // A photo from the LINE user shows as an image once Tsunagu has fetched it from LINE.
    await line.page.getByText("Photo or file").click();
    await line.page.locator("input[name=file]").setInputFiles({ name: "green.png", mimeType: "image/png", buffer: tinyPng() });
    await line.page.getByRole("button", { name: "Send file" }).click();
    const photo = history(page).getByRole("img", { name: "Image" });
    await photo.waitFor({ timeout: 15_000 });
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(8);

    // Sato sends an animated GIF: the LINE user sees its first frame, which LINE's app can show
    // (a PNG preview from the signed public URL), while Sato's history keeps the GIF.
    await room.getByLabel("Send image").setInputFiles({ name: "wave.gif", mimeType: "image/gif", buffer: await twoFrameGif() });
    const sentGif = history(page).getByRole("listitem").filter({ has: page.getByRole("img", { name: "Image" }) }).last();
    await sentGif.getByText("Sent", { exact: true }).waitFor({ timeout: 15_000 });
    const onLine = botMessages(line.page).last().locator("img");
    await expect.poll(() => onLine.getAttribute("src"), { timeout: 10_000 }).toMatch(/\/line\/media\/[0-9a-f-]{36}\/[\w-]+\/preview$/);
    await expect.poll(() => onLine.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(48);

    if (viewport) {
      await room.getByRole("link", { name: "Back to rooms" }).click();
      await rooms(page).getByRole("link", { name: new RegExp(`^${name}`) }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
    }
  } finally {
    await Promise.all([sato.close(), line.context.close()]);
  }
}

describe("LINE rooms in the web app", () => {
  it("PC: member and LINE user chat both ways (text, stickers, a photo)", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await chatBothWays();
  });

  it("mobile: the same chat with the room as its own page", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await chatBothWays(MOBILE_VIEWPORT);
  });

  it("a hostile LINE name renders as text; a block shows the blocked state and disables sending", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    const line = await lineFriendOfSato(XSS, XSS);
    const sato = await newContext(browser, server.url);
    try {
      const page = await sato.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await signInThroughUi(page, "sato@demo.example");
      await line.page.getByLabel("Message").fill(XSS);
      await line.page.getByRole("button", { name: "Send", exact: true }).click();

      const row = rooms(page).getByRole("link", { name: new RegExp(`^${XSS.replace(/[()]/g, "\\$&")}`) });
      await row.getByText(XSS, { exact: true }).first().waitFor();
      await row.click();
      const room = page.getByRole("region", { name: XSS });
      await room.getByRole("heading", { name: XSS }).waitFor();
      await history(page).getByText(XSS, { exact: true }).waitFor();
      expect(await page.locator("img[src=x]").count()).toBe(0);

      // "Add LINE Contact" answers with the contacts API's result or its problem, never silence.
      await room.getByRole("button", { name: "Add LINE Contact" }).click();
      await page.getByRole("status").getByText("Added to contacts").or(room.getByRole("alert")).first().waitFor();

      // The LINE user blocks the account: the room says so and nothing can be sent.
      await line.page.goto(`${emulatorUrl}/`);
      await line.page.getByRole("button", { name: "Block" }).click();
      await room.getByText("This LINE user has blocked you.").waitFor({ timeout: 15_000 });
      expect(await room.getByRole("textbox", { name: "Message" }).isDisabled()).toBe(true);
      expect(await room.getByRole("button", { name: "Stickers" }).isDisabled()).toBe(true);
      await row.getByText("Blocked", { exact: true }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      expect(dialogs).toEqual([]);
    } finally {
      await Promise.all([sato.close(), line.context.close()]);
    }
  });

  it("a message LINE refuses shows why, and Retry sends it", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    const line = await lineFriendOfSato("Retry Friend");
    const sato = await newContext(browser, server.url);
    try {
      const page = await sato.newPage();
      await signInThroughUi(page, "sato@demo.example");
      await rooms(page).getByRole("link", { name: /^Retry Friend/ }).click();
      const room = page.getByRole("region", { name: "Retry Friend" });
      // LINE answers the next push with 400 once (a refusal, so Tsunagu does not retry by itself).
      await emulatorOf(server).addFault({ path: "/v2/bot/message/push", status: 400, times: 1 });
      await room.getByRole("textbox", { name: "Message" }).fill("Are you there?");
      await room.getByRole("textbox", { name: "Message" }).press("Enter");
      const mine = history(page).getByRole("listitem").filter({ hasText: "Are you there?" });
      await mine.getByText(/^Not delivered/).waitFor({ timeout: 15_000 });
      expect(await axeViolations(page)).toEqual([]);
      await mine.getByRole("button", { name: "Retry" }).click();
      await mine.getByText("Sent", { exact: true }).waitFor({ timeout: 15_000 });
      expect(await mine.getByRole("button", { name: "Retry" }).count()).toBe(0);
      await expect.poll(() => botMessages(line.page).last().textContent(), { timeout: 10_000 }).toContain("Are you there?");
    } finally {
      await Promise.all([sato.close(), line.context.close()]);
    }
  });
});
