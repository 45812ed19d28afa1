import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { messagingApi } from "@line/bot-sdk";
import { chromium, type Browser, type Page } from "playwright-core";
import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControlClient } from "./control-client.ts";
import { startLineEmulator, type LineEmulator } from "./emulator.ts";
import { startWebhookReceiver, testChannel } from "./test-receiver.ts";

let emu: LineEmulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let browser: Browser;
const channel = testChannel({ botName: "Demo Company" });
const XSS = "<img src=x onerror=alert(1)>";

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  emu = await startLineEmulator({ port: 0 });
  await new EmulatorControlClient(emu.url).registerChannel({ ...channel, webhookUrl: receiver.url });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
  await emu.close();
  await receiver.close();
});

const lastEvent = () => receiver.received.at(-1)!.json.events[0]!;

/** Polled: a form post answers with a redirect, and a page that is still navigating has no document to measure yet. */
async function fitsPhone(page: Page) {
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
}

describe("emulator UI at a phone viewport", () => {
  it("creates a persona with a hostile name, befriends the OA, chats both ways and scans a QR code", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    await page.goto(emu.url);
    await page.getByLabel("Display name").fill(XSS);
    await page.getByLabel("Status message").fill("Hi there");
    await page.getByRole("button", { name: "Create" }).click();
    await expect.poll(() => page.locator("#me-name").textContent()).toBe(XSS);
    expect(await page.locator("main img[src=x]").count()).toBe(0);
    await fitsPhone(page);

    await page.getByRole("button", { name: "Add friend" }).click();
    await receiver.waitFor(1);
    expect(lastEvent()).toMatchObject({ type: "follow" });
    const userId = (lastEvent().source as { userId: string }).userId;

    await page.getByRole("link", { name: "Chat" }).click();
    await page.getByLabel("Message").fill("Hello from the phone");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await receiver.waitFor(2);
    expect(lastEvent()).toMatchObject({ type: "message", message: { type: "text", text: "Hello from the phone" } });
    // The webhook can arrive before the post's redirect has loaded the chat again: measure the chat that shows it.
    await page.locator(".msg.user", { hasText: "Hello from the phone" }).waitFor();
    await fitsPhone(page);

    await page.getByRole("button", { name: "sticker 1990" }).click();
    await receiver.waitFor(3);
    expect(lastEvent()).toMatchObject({ message: { type: "sticker", packageId: "446", stickerId: "1990" } });
    // Stickers are pictures the emulator draws itself (no internet), in the chat and on its buttons.
    const loaded = (alt: string) => page.locator(`.chat img.sticker[alt="${alt}"]`).last().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
    await expect.poll(() => loaded("OK"), { timeout: 5000 }).toBe(true);
    expect(await page.getByRole("button", { name: "sticker 1990" }).locator("img").evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true);

    // A push shows up live (polling) with the sender name it carried.
    const bot = new messagingApi.MessagingApiClient({ channelAccessToken: channel.accessToken, baseURL: emu.url });
    await bot.pushMessage({ to: userId, messages: [{ type: "text", text: `reply ${XSS}`, sender: { name: "Sato" } }] });
    await expect.poll(() => page.locator(".msg-row .sender-name").last().textContent(), { timeout: 5000 }).toBe("Sato");
    expect(await page.locator(".msg.bot").last().textContent()).toContain(`reply ${XSS}`);
    await bot.pushMessage({ to: userId, messages: [{ type: "sticker", packageId: "446", stickerId: "1993" }] });
    await expect.poll(() => page.locator(".msg.bot img.sticker[alt=Yay]").count(), { timeout: 5000 }).toBe(1);
    await expect.poll(() => loaded("Yay"), { timeout: 5000 }).toBe(true);

    await page.getByText("Photo or file").click();
    const file = path.join(os.tmpdir(), `emu-${process.pid}.txt`);
    fs.writeFileSync(file, "hello file");
    await page.locator("input[name=file]").setInputFiles(file);
    await page.getByRole("button", { name: "Send file" }).click();
    await receiver.waitFor(4);
    expect(lastEvent()).toMatchObject({ message: { type: "file", fileName: path.basename(file), fileSize: 10 } });

    // Scan QR: the decoded URL is opened in the same browser.
    await page.goto(emu.url);
    const target = `${emu.url}/ui/chat/${channel.channelId}`;
    const qr = path.join(os.tmpdir(), `emu-qr-${process.pid}.png`);
    fs.writeFileSync(qr, await QRCode.toBuffer(target));
    await page.locator("#qr").setInputFiles(qr);
    await page.getByRole("button", { name: "Scan" }).click();
    await expect.poll(() => page.url()).toBe(target);

    await page.goto(emu.url);
    await page.getByLabel("Message ID").fill("SATO-1234");
    await page.getByRole("button", { name: "Search" }).click();
    await receiver.waitFor(5);
    expect(lastEvent()).toMatchObject({ message: { type: "text", text: "SATO-1234" } });

    // LINE Login in the same browser: the consent page knows who "I" am from the cookie.
    const callback = receiver.url.replace("/webhook", "/callback");
    const params = new URLSearchParams({ response_type: "code", client_id: channel.loginChannelId, redirect_uri: callback, state: "s1", scope: "profile openid", bot_prompt: "aggressive" });
    await page.goto(`${emu.url}/oauth2/v2.1/authorize?${params}`);
    expect(await page.getByRole("radio", { name: XSS }).isChecked()).toBe(true);
    await expect.poll(() => page.getByText("You are already friends").count()).toBe(1);
    await fitsPhone(page);
    await page.getByRole("button", { name: "Allow" }).click();
    await expect.poll(() => page.url()).toContain("/callback?");
    const back = new URL(page.url());
    expect(back.searchParams.get("state")).toBe("s1");
    expect(back.searchParams.get("code")).toBeTruthy();
    expect(back.searchParams.get("friendship_status_changed")).toBe("false");

    expect(dialogs).toEqual([]);
    await context.close();
  });

  it("draws Flex cards, sender icons and quick replies as the LINE app does; a tapped quick reply sends its postback", async () => {
    const control = new EmulatorControlClient(emu.url);
    const user = await control.createUser({ displayName: "Quick Tapper" });
    await control.follow(user.userId, channel.channelId);
    const bot = new messagingApi.MessagingApiClient({ channelAccessToken: channel.accessToken, baseURL: emu.url });
    const icon = `${emu.url}/__emulator/none.png`;
    await bot.pushMessage({
      to: user.userId,
      messages: [
        {
          type: "flex",
          altText: "Sato · Demo Company",
          contents: {
            type: "bubble",
            body: { type: "box", layout: "vertical", contents: [{ type: "text", text: "Sato Hanako", weight: "bold", size: "lg" }, { type: "text", text: "Demo Company", size: "sm", color: "#8c8c8c" }] },
          },
          sender: { name: "Sato", iconUrl: icon },
        },
        {
          type: "text",
          text: "Pick who you talk to",
          quickReply: { items: [{ type: "action", action: { type: "postback", label: "Kim", data: "talk_to:kim", displayText: "Talk to Kim" } }] },
        },
      ],
    });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(emu.url);
    await page.getByRole("button", { name: "Use" }).last().click();
    await page.goto(`${emu.url}/ui/chat/${channel.channelId}`);
    const card = page.locator(".fx-bubble").last();
    expect(await card.locator(".fx-text.fx-bold").textContent()).toBe("Sato Hanako");
    expect(await card.locator(".fx-text.fx-muted").textContent()).toBe("Demo Company");
    expect(await page.locator(".msg-row img.msg-avatar").first().getAttribute("src")).toBe(icon);
    expect(await page.locator(".msg-row .sender-name").first().textContent()).toBe("Sato");
    await fitsPhone(page);

    const before = receiver.received.length;
    await page.getByRole("navigation", { name: "Quick replies" }).getByRole("button", { name: "Kim" }).click();
    await receiver.waitFor(before + 1);
    expect(lastEvent()).toMatchObject({ type: "postback", postback: { data: "talk_to:kim" }, source: { userId: user.userId } });
    await expect.poll(() => page.locator(".msg.user").last().textContent()).toContain("Talk to Kim");
    // Quick replies belong to the latest message only: once the user answered they are gone.
    expect(await page.getByRole("navigation", { name: "Quick replies" }).count()).toBe(0);
    await context.close();
  });
});
