import { PNG } from "pngjs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControlClient } from "../../src/line-emulator/control-client.ts";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, PC_VIEWPORT, signInThroughUi } from "../support/browser.ts";
import { bootServer, signedIn, type TestServer } from "../support/server.ts";

// Issue 11, the LINE user's side, in real Chromium: the LINE user adds Sato and sees Sato's card
// (directory photo, name, company) and a greeting; adds Kim by Message ID and picks Sato again by
// tapping a quick reply; sees "Read" once Sato opened the room; renames themselves, and Sato sees
// the new name without reloading.

let server: TestServer;
let browser: Browser;
let emulatorUrl: string;
let channelId: string;
let invitationUrl: string;

const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 120_000;
const SHOTS = process.env.SHOTS_DIR;

beforeAll(async () => {
  // Profiles older than a second are refreshed on activity, so the rename shows without waiting a minute.
  [server, browser] = await Promise.all([bootServer({ LINE_PROFILE_REFRESH_SECONDS: "1" }), launchBrowser()]);
  emulatorUrl = server.lineEmulator!.url;
  channelId = server.demoLineChannelId!;
  const sato = await signedIn(server, "sato@demo.example");
  invitationUrl = (await sato.get("/api/v1/invitations/me")).json.url;
  // A directory photo, so the card and the sender icon have one to show.
  const satoId = (await sato.get("/api/v1/me")).json.member.id;
  const photo = await sato.request("PUT", `/api/v1/members/${satoId}/photo`, portrait(), { "content-type": "image/png" });
  expect(photo.status).toBeLessThan(300);
}, BOOT_TIMEOUT_MS);

/** A 256×256 portrait-like picture: a warm gradient with a darker disc. */
function portrait(): Uint8Array {
  const png = new PNG({ width: 256, height: 256 });
  for (let y = 0; y < 256; y++)
    for (let x = 0; x < 256; x++) {
      const inHead = (x - 128) ** 2 + (y - 110) ** 2 < 60 ** 2 || ((x - 128) ** 2) / 100 ** 2 + ((y - 256) ** 2) / 90 ** 2 < 1;
      png.data.set(inHead ? [70, 90, 140, 255] : [250 - y / 3, 200 - y / 4, 150, 255], (y * 256 + x) * 4);
    }
  return new Uint8Array(PNG.sync.write(png));
}

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
};

async function lineUser(name: string, viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, emulatorUrl, { viewport });
  const page = await context.newPage();
  await page.goto(`${emulatorUrl}/`);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Create" }).click();
  await expect.poll(() => page.locator("#me-name").textContent()).toBe(name);
  return { context, page };
}

/** The emulator's "Open link", Tsunagu's landing page, LINE Login's consent; LINE then opens the chat. */
async function addByLink(page: Page) {
  await page.getByLabel("Invitation URL").fill(invitationUrl);
  await page.getByRole("button", { name: "Open", exact: true }).click();
  await page.getByRole("link", { name: "Add friend on LINE" }).waitFor();
  expect(await axeViolations(page)).toEqual([]);
  await page.getByRole("link", { name: "Add friend on LINE" }).click();
  const addFriend = page.getByRole("checkbox", { name: /as a friend/ });
  await page.getByRole("button", { name: "Allow" }).waitFor();
  if (await addFriend.count()) await addFriend.check();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect.poll(() => new URL(page.url()).pathname).toBe(`/ui/chat/${channelId}`);
}

const cardOf = (page: Page, name: string) => page.locator(".fx-bubble").filter({ has: page.locator(".fx-text.fx-bold", { hasText: name }) });

async function journey(viewport: { width: number; height: number }, label: string) {
  const name = `${label} Hanako`;
  const line = await lineUser(name, viewport);
  const member = await newContext(browser, server.url, { viewport });
  try {
    // 1. Added by link: the chat opens on Sato's card, then Sato's greeting, both from Sato.
    await addByLink(line.page);
    const card = cardOf(line.page, "佐藤 花子");
    await card.waitFor({ timeout: 15_000 });
    await expect.poll(() => card.locator(".fx-hero img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(256);
    expect(await card.locator(".fx-text.fx-muted").textContent()).toBe("Demo Company");
    await line.page.locator(".msg.bot", { hasText: "Demo Companyの佐藤 花子です。" }).waitFor({ timeout: 15_000 });
    expect(await line.page.locator(".msg-row .sender-name").last().textContent()).toBe("佐藤 花子");
    await shot(line.page, `emulator-${label}-member-card`);

    // 2. Kim by Message ID: Kim's card, then the picker; tapping Sato's quick reply brings Sato's card back.
    await line.page.goto(`${emulatorUrl}/`);
    await line.page.getByLabel("Message ID").fill("kim");
    await line.page.getByRole("button", { name: "Search" }).click();
    const picker = line.page.getByRole("navigation", { name: "Quick replies" });
    await picker.waitFor({ timeout: 20_000 });
    await cardOf(line.page, "김민준").waitFor();
    await shot(line.page, `emulator-${label}-picker`);
    await picker.getByRole("button", { name: "佐藤 花子" }).click();
    await line.page.locator(".msg.user", { hasText: "佐藤 花子と話す" }).waitFor();
    await line.page.locator(".msg.bot", { hasText: "これからのメッセージは佐藤 花子に届きます。" }).waitFor({ timeout: 15_000 });
    await shot(line.page, `emulator-${label}-picked`);
    await line.page.getByLabel("Message").fill("よろしくお願いします");
    await line.page.getByRole("button", { name: "Send", exact: true }).click();

    // 3. Sato opens the room; the LINE user renames themselves and writes: Sato sees the new name live.
    const page = await member.newPage();
    await signInThroughUi(page, "sato@demo.example");
    await page.getByRole("region", { name: "Rooms" }).getByRole("link", { name: new RegExp(`^${name}`) }).click();
    const room = page.getByRole("region", { name });
    await room.getByRole("heading", { name }).waitFor();
    await page.getByRole("list", { name: "Messages" }).getByText("よろしくお願いします").waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // 4. Sato opened the room: LINE shows the LINE user "Read".
    const mine = line.page.locator(".msg.user", { hasText: "よろしくお願いします" });
    await expect.poll(() => mine.locator(".read").count(), { timeout: 20_000 }).toBe(1);
    await shot(line.page, `emulator-${label}-read`);

    const renamed = `${label} はなこ🌸`;
    await line.page.goto(`${emulatorUrl}/`);
    await line.page.getByText("Edit profile").click();
    await line.page.getByLabel("Display name", { exact: true }).fill(renamed);
    await line.page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => line.page.locator("#me-name").textContent()).toBe(renamed);
    // What is under test: a message from a LINE user whose copy is older than the refresh age (1 s
    // here) refreshes it. A sync that asked LINE just before the rename (the one opening the room
    // queued may run late on a busy machine, and store its answer later still) leaves a copy that
    // is fresh for that second, so the message is written once the stored copy is older than that
    // and no sync is on its way.
    const userId = (await new EmulatorControlClient(emulatorUrl).users()).find((u) => u.displayName === renamed)!.userId;
    const copyIsStale = async () => {
      const [copy] = await server.db.query<{ stale: boolean }>(
        "SELECT synced_at < now() - interval '1500 milliseconds' AND sync_requested_at IS NULL AS stale FROM line_users WHERE user_id = $1",
        [userId],
      );
      return copy?.stale;
    };
    await expect.poll(copyIsStale, { timeout: 20_000 }).toBe(true);
    await line.page.goto(`${emulatorUrl}/ui/chat/${channelId}`);
    await line.page.getByLabel("Message").fill("名前を変えました");
    await line.page.getByRole("button", { name: "Send", exact: true }).click();

    await page.getByRole("heading", { name: renamed }).waitFor({ timeout: 20_000 });
    await page.getByRole("list", { name: "Messages" }).getByText("名前を変えました").waitFor();
    await shot(page, `member-${label}-renamed`);

    // 5. Sato types: the LINE user sees LINE's loading animation.
    await page.getByRole("region", { name: renamed }).getByRole("textbox", { name: "Message" }).pressSequentially("お待ちください");
    await line.page.getByRole("status", { name: "typing" }).waitFor({ timeout: 15_000 });
    await shot(line.page, `emulator-${label}-typing`);
  } catch (err) {
    for (const p of [...member.pages(), line.page]) await shot(p, `failed-${label}-${member.pages().indexOf(p)}`);
    throw err;
  } finally {
    await Promise.all([member.close(), line.context.close()]);
  }
}

describe("the LINE user's side", () => {
  it("on a PC: card, picker by quick reply, and a rename seen live", () => journey(PC_VIEWPORT, "PC"), JOURNEY_TIMEOUT_MS);
  it("on a phone: card, picker by quick reply, and a rename seen live", () => journey(MOBILE_VIEWPORT, "Phone"), JOURNEY_TIMEOUT_MS);
});
