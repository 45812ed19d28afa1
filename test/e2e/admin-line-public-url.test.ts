import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorControlClient } from "../../src/line-emulator/control-client.ts";
import { startLineEmulator, type LineEmulator } from "../../src/line-emulator/emulator.ts";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, PC_VIEWPORT, signInThroughUi } from "../support/browser.ts";
import { TEST_CHANNEL } from "../support/line-webhooks.ts";
import { bootServer, type TestServer } from "../support/server.ts";

// Issue 11 item 5 in the web app: live mode on a plain-http PUBLIC_BASE_URL starts only with
// LINE_ALLOW_INSECURE_PUBLIC_URL=1, and the administrator's LINE page then says, first thing, that
// LINE will not fetch the images and sender icons. PC and phone; screenshots to E2E_SCREENSHOT_DIR.

let line: LineEmulator;
let server: TestServer;
let browser: Browser;

const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 60_000;

beforeAll(async () => {
  // A LINE stand-in on its own origin, so the live server calls nothing outside this machine.
  line = await startLineEmulator({ port: 0 });
  await new EmulatorControlClient(line.url).registerChannel({
    channelId: TEST_CHANNEL.LINE_CHANNEL_ID,
    channelSecret: TEST_CHANNEL.LINE_CHANNEL_SECRET,
    accessToken: TEST_CHANNEL.LINE_CHANNEL_ACCESS_TOKEN,
    basicId: "@insecure1",
    botName: "Insecure Co",
    loginChannelId: TEST_CHANNEL.LINE_LOGIN_CHANNEL_ID,
    loginChannelSecret: TEST_CHANNEL.LINE_LOGIN_CHANNEL_SECRET,
  });
  [server, browser] = await Promise.all([
    bootServer({
      LINE_MODE: "live",
      LINE_ALLOW_INSECURE_PUBLIC_URL: "1",
      LINE_API_BASE_URL: line.url,
      LINE_DATA_API_BASE_URL: line.url,
      LINE_LOGIN_BASE_URL: line.url,
      LINE_AUTHORIZE_BASE_URL: line.url,
      ...TEST_CHANNEL,
    }),
    launchBrowser(),
  ]);
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await line?.close();
});

describe("admin LINE page: the public address", () => {
  for (const [device, viewport] of [
    ["pc", PC_VIEWPORT],
    ["phone", MOBILE_VIEWPORT],
  ] as const) {
    it(`${device}: warns that live mode runs on http because of the override`, { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      const context = await newContext(browser, server.url, { viewport });
      try {
        const page = await context.newPage();
        await signInThroughUi(page, "admin@demo.example");
        await page.goto("/admin/line");
        const section = page.getByRole("region", { name: "Public address" });
        await section.getByText("The LINE platform", { exact: true }).waitFor();
        expect(await section.locator("code").innerText()).toBe(server.url);
        const warning = section.getByText(/^Not HTTPS\. LINE fetches images and sender icons only over HTTPS/);
        await warning.waitFor();
        expect(await warning.getAttribute("data-state")).toBe("insecure-allowed");
        expect(await warning.innerText()).toContain("LINE_ALLOW_INSECURE_PUBLIC_URL=1");
        // First on the page: on a phone too, the warning is on screen without scrolling.
        const box = (await warning.boundingBox())!;
        expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
        expect(await axeViolations(page)).toEqual([]);
        const dir = process.env.E2E_SCREENSHOT_DIR;
        if (dir) {
          fs.mkdirSync(dir, { recursive: true });
          await page.screenshot({ path: path.join(dir, `admin-line-public-url-insecure-${device}.png`) });
        }
      } finally {
        await context.close();
      }
    });
  }
});
