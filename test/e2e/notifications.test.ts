import { PNG } from "pngjs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, MOBILE_VIEWPORT, newContext, PC_VIEWPORT, signInThroughUi } from "../support/browser.ts";
import { addFriendThroughLink, emulatorOf } from "../support/line.ts";
import { shownNotifications, watchNotifications, watchWorkerNotifications } from "../support/notifications.ts";
import { startPushEndpoint, type PushEndpoint } from "../support/push-endpoint.ts";
import { ApiClient, bootServer, signedIn, type TestServer } from "../support/server.ts";

// Issue 14, end to end on PC and phone: a LINE message to a member who is on another page raises the
// Message tab's badge, the title count and a notification; the room opens at the newest message and
// follows new ones (or offers a pill when the member scrolled up); the room's contact survives a
// reload, and the history shows the contact added, a block and the unblock; with the browser closed, a
// push reaches the device's push endpoint.

let server: TestServer;
let browser: Browser;
let push: PushEndpoint;
let channelId: string;

const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  [server, browser, push] = await Promise.all([bootServer(), launchBrowser(), startPushEndpoint()]);
  channelId = server.demoLineChannelId!;
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), push?.close()]);
});

function tinyPng(): string {
  const png = new PNG({ width: 8, height: 8 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([0x06, 0xc7, 0x55, 0xff], i);
  return PNG.sync.write(png).toString("base64");
}

/** A LINE user (made through the emulator's control API) who added `login` through the invitation link. */
async function lineFriendOf(login: string, displayName: string) {
  const member = await signedIn(server, login);
  const user = await emulatorOf(server).createUser({ displayName, language: "en" });
  const { url } = (await member.get("/api/v1/invitations/me")).json;
  expect((await addFriendThroughLink(url, user.userId)).status).toBe(302);
  return {
    userId: user.userId,
    say: (text: string) => emulatorOf(server).sendMessage(user.userId, channelId, { type: "text", text }),
    sendPhoto: () => emulatorOf(server).sendMessage(user.userId, channelId, { type: "image", contentBase64: tinyPng(), contentType: "image/png" }),
  };
}

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });
const messageTabBadge = (page: Page) => nav(page).getByRole("link", { name: /^Message/ }).locator(".nav-badge");
/** Pixels between the history's bottom and what is scrolled into view (0 = at the newest message). */
const distanceFromBottom = (page: Page) => page.locator(".history").evaluate((el) => Math.round(el.scrollHeight - el.scrollTop - el.clientHeight));

async function journey(login: string, viewport: { width: number; height: number }) {
  const phone = viewport === MOBILE_VIEWPORT;
  const friendName = phone ? "Pocket Friend" : "Desk Friend";
  const friend = await lineFriendOf(login, friendName);
  const context: BrowserContext = await newContext(browser, server.url, { viewport });
  let closed = false;
  try {
    await context.grantPermissions(["notifications"], { origin: server.url });
    await watchNotifications(context);
    const page = await context.newPage();
    await signInThroughUi(page, login);

    // On another page (Contacts) with the service worker installed, a LINE user writes.
    await nav(page).getByRole("link", { name: "Contacts" }).click();
    await page.waitForURL(/\/contacts/);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await friend.say("Are you there?");
    await messageTabBadge(page).getByText("1", { exact: true }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.title()).toBe("(1) Tsunagu");
    await expect.poll(() => shownNotifications(page), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ title: friendName, body: "Are you there?" }));
    // The tab names the count for screen readers too.
    await nav(page).getByRole("link", { name: "Message 1 unread message" }).waitFor();

    // A long history ending in a photo (its height arrives only when it loads).
    for (let i = 1; i <= 24; i++) await friend.say(`Line ${i} of a long story`);
    await friend.sendPhoto();
    await messageTabBadge(page).getByText("26", { exact: true }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.title()).toBe("(26) Tsunagu");

    // The room opens at the newest message, and reading it clears the badge and the title.
    await nav(page).getByRole("link", { name: /^Message/ }).click();
    await page.getByRole("region", { name: "Rooms" }).getByRole("link", { name: new RegExp(`^${friendName}`) }).click();
    const room = page.getByRole("region", { name: friendName });
    const history = room.getByRole("list", { name: "Messages" });
    const photo = history.getByRole("img", { name: "Image" });
    await photo.waitFor({ timeout: 15_000 });
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(8);
    await expect.poll(() => distanceFromBottom(page)).toBeLessThanOrEqual(1);
    await expect.poll(() => messageTabBadge(page).count()).toBe(0);
    await expect.poll(() => page.title()).toBe("Tsunagu");

    // New messages keep the view at the bottom…
    await friend.say("Still here");
    await history.getByText("Still here").waitFor();
    await expect.poll(() => distanceFromBottom(page)).toBeLessThanOrEqual(1);
    // …unless the member scrolled up to read: then they stay, and a pill offers the new ones.
    await page.locator(".history").evaluate((el) => el.scrollTo({ top: 0 }));
    await friend.say("Read me when you are back");
    const pill = room.getByRole("button", { name: /New messages/ });
    await pill.waitFor();
    expect(await distanceFromBottom(page)).toBeGreaterThan(200);
    await pill.click();
    await expect.poll(() => distanceFromBottom(page)).toBeLessThanOrEqual(1);
    expect(await pill.count()).toBe(0);

    // Add LINE Contact, then reload: the room still shows its contact, and no Add button tempts a second tap.
    await room.getByRole("button", { name: "Add LINE Contact" }).click();
    await page.getByRole("status").getByText("Added to contacts").waitFor();
    await page.reload();
    await room.getByText("In contacts").waitFor();
    await room.getByRole("link", { name: "Open contact" }).waitFor();
    expect(await room.getByRole("button", { name: "Add LINE Contact" }).count()).toBe(0);
    await expect.poll(() => distanceFromBottom(page)).toBeLessThanOrEqual(1);

    // The history keeps what happened besides messages: the contact added, a block and the unblock.
    const systemLines = history.locator(".system-line");
    await systemLines.filter({ hasText: /added this LINE user to contacts/ }).waitFor();
    await emulatorOf(server).unfollow(friend.userId, channelId);
    await systemLines.filter({ hasText: "The LINE user blocked this account" }).waitFor({ timeout: 15_000 });
    await emulatorOf(server).follow(friend.userId, channelId);
    await systemLines.filter({ hasText: "The LINE user unblocked this account" }).waitFor({ timeout: 15_000 });
    expect(await systemLines.allTextContents()).toHaveLength(3);
    await room.getByRole("link", { name: "Open contact" }).click();
    await page.getByRole("heading", { name: friendName, exact: true }).waitFor();

    // This browser's sign-in registers a device at the local push service (headless Chromium has no
    // push service of its own); closing the browser ends its stream, and the next message is pushed.
    const device = await registerDeviceOf(context);
    const memberId = await page.evaluate(async () => ((await (await fetch("/api/v1/me")).json()) as { member: { id: string } }).member.id);
    await context.close();
    closed = true;
    await expect
      .poll(async () => (await server.db.query("SELECT 1 FROM live_streams WHERE member_id = $1", [memberId])).length, { timeout: 20_000 })
      .toBe(0);
    await friend.say("Call me back");
    await expect.poll(() => push.notifications(device.clientHash), { timeout: 20_000 }).toHaveLength(1);
    const [payload] = await push.notifications(device.clientHash);
    expect(JSON.parse(payload!)).toMatchObject({ title: friendName, body: "Call me back" });
  } finally {
    if (!closed) await context.close();
  }
}

/** Subscribes at the local push endpoint with the server's key and registers it with the browser's session. */
async function registerDeviceOf(context: BrowserContext) {
  const api = new ApiClient(server.url);
  api.cookie = (await context.cookies(server.url)).map((c) => `${c.name}=${c.value}`).join("; ");
  api.csrf = (await api.get("/api/v1/me")).json.csrfToken;
  const sub = await push.subscribe((await api.get("/api/v1/push/key")).json.publicKey);
  expect((await api.put("/api/v1/push/subscription", { endpoint: sub.endpoint, keys: sub.keys })).status).toBe(204);
  return sub;
}

describe("installable app", () => {
  it("has a manifest that opens the Message list, its icons, and a service worker that shows pushes and an offline page", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    const manifest = await fetch(`${server.url}/manifest.webmanifest`);
    expect(manifest.headers.get("content-type")).toContain("application/manifest+json");
    const m = (await manifest.json()) as { start_url: string; display: string; icons: { src: string; sizes: string; purpose: string }[] };
    expect(m).toMatchObject({ start_url: "/message", display: "standalone" });
    expect(m.icons.map((i) => `${i.sizes} ${i.purpose}`)).toEqual(expect.arrayContaining(["192x192 any", "512x512 any", "512x512 maskable"]));
    for (const icon of m.icons) {
      const png = await fetch(`${server.url}${icon.src}`);
      expect(png.headers.get("content-type")).toBe("image/png");
      const { width, height } = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
      expect(`${width}x${height}`).toBe(icon.sizes);
    }

    const context = await newContext(browser, server.url, { viewport: MOBILE_VIEWPORT });
    try {
      const page = await context.newPage();
      // Installed from the first visit, before any sign-in or permission.
      await page.goto("/signin");
      expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)).toBe(`${server.url}/sw.js`);
      await context.grantPermissions(["notifications"], { origin: server.url });
      await signInThroughUi(page, "smith@demo.example");
      expect(await page.locator('link[rel="manifest"]').getAttribute("href")).toBe("/manifest.webmanifest");
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
      expect(scope).toBe(`${server.url}/`);

      // A push as the push service delivers it to the service worker: a notification for the room.
      const cdp = await context.newCDPSession(page);
      const registrationId = new Promise<string>((resolve) =>
        cdp.on("ServiceWorker.workerRegistrationUpdated", (ev) => {
          const reg = ev.registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
          if (reg) resolve(reg.registrationId);
        }),
      );
      await cdp.send("ServiceWorker.enable");
      const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
      await watchWorkerNotifications(worker);
      const roomId = "0b6f2c1e-2d4a-4a57-9c43-8f1d2a3b4c5d";
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: server.url,
        registrationId: await registrationId,
        data: JSON.stringify({ roomId, messageId: "5f0c1e2d-3b4a-4c5d-8e9f-0a1b2c3d4e5f", title: "Pushed Friend", body: "From the push service" }),
      });
      await expect.poll(() => shownNotifications(worker), { timeout: 15_000 }).toContainEqual({ title: "Pushed Friend", body: "From the push service", tag: `room-${roomId}` });

      // Offline, a page load shows Tsunagu's offline page instead of the browser's error.
      await context.setOffline(true);
      await page.goto("/message");
      await page.getByRole("heading", { name: "You are offline" }).waitFor();
      await page.getByRole("link", { name: /Try again/ }).waitFor();
      await context.setOffline(false);
      await page.getByRole("link", { name: /Try again/ }).click();
      await nav(page).waitFor();
    } finally {
      await context.close();
    }
  });
});

describe("notifications, installable app and rooms", () => {
  it("PC: badge, title, notification, newest message, contact link, push when closed", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await journey("sato@demo.example", PC_VIEWPORT);
  });

  it("phone: the same on the bottom tabs", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await journey("kim@demo.example", MOBILE_VIEWPORT);
  });
});
