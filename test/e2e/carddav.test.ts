import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe.ts";
import { MOBILE_VIEWPORT, launchBrowser, newContext, signInThroughUi } from "../support/browser.ts";
import { bootServer, type TestServer } from "../support/server.ts";

// Profile → "CardDAV address book" in real Chromium: the settings to type into a client, an app
// password shown once and copied, and revoking it, on PC and on a phone.

let server: TestServer;
let browser: Browser;

const BOOT_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const davStatus = async (login: string, secret: string) =>
  (
    await fetch(new URL("/dav/", server.url), {
      method: "PROPFIND",
      headers: { authorization: `Basic ${Buffer.from(`${login}:${secret}`).toString("base64")}`, depth: "0" },
    })
  ).status;

async function openSection(page: Page, login: string) {
  await signInThroughUi(page, login);
  await page.goto("/me");
  const section = page.getByRole("region", { name: "CardDAV address book" });
  await section.getByText("Server URL", { exact: true }).waitFor();
  return section;
}

describe("CardDAV address book in the profile", () => {
  it("shows the settings, makes an app password shown once, and revokes it (PC, keyboard)", async () => {
    const context = await newContext(browser, server.url, { permissions: ["clipboard-read", "clipboard-write"] });
    try {
      const page = await context.newPage();
      const section = await openSection(page, "sato@demo.example");
      await section.getByText(`${server.url}/dav/`, { exact: true }).waitFor();
      await section.getByText("sato@demo.example", { exact: true }).waitFor();
      await section.getByText("No app passwords yet.", { exact: false }).waitFor();

      // An empty name is caught before any request.
      const name = section.getByLabel("Name of the device or app");
      await name.focus();
      await page.keyboard.press("Enter");
      await section.getByRole("alert").getByText("Give the app password a name", { exact: false }).waitFor();

      await name.fill("iPhone <b>15</b>");
      await page.keyboard.press("Enter");
      const secretBox = section.locator(".carddav-secret");
      await secretBox.getByText("App password for “iPhone <b>15</b>”").waitFor();
      const secret = (await secretBox.locator(".carddav-secret-value").textContent())!.trim();
      expect(await axeViolations(page)).toEqual([]);
      expect(secret).toMatch(/^([a-z2-7]{4}-){12}[a-z2-7]{4}$/);
      expect(await davStatus("sato@demo.example", secret)).toBe(207);

      await secretBox.getByRole("button", { name: "Copy app password" }).click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

      await secretBox.getByRole("button", { name: "Done" }).click();
      await secretBox.waitFor({ state: "detached" });
      const row = section.getByRole("listitem").filter({ hasText: "iPhone <b>15</b>" });
      await row.waitFor();
      // The name is text, never markup.
      expect(await section.locator(".carddav-row-label b").count()).toBe(0);

      // Reloading shows the app password in the list, but its secret nowhere.
      await page.reload();
      await section.getByRole("listitem").filter({ hasText: "iPhone <b>15</b>" }).waitFor();
      expect(await page.content()).not.toContain(secret);

      await row.getByRole("button", { name: "Revoke iPhone <b>15</b>" }).click();
      const dialog = page.getByRole("dialog", { name: "Revoke “iPhone <b>15</b>”?" });
      expect(await axeViolations(page)).toEqual([]);
      await dialog.getByRole("button", { name: "Revoke" }).click();
      await page.getByRole("status").getByText("“iPhone <b>15</b>” revoked").waitFor();
      await section.getByText("No app passwords yet.", { exact: false }).waitFor();
      expect(await davStatus("sato@demo.example", secret)).toBe(401);
    } finally {
      await context.close();
    }
  });

  it("fits a phone screen", async () => {
    const context = await newContext(browser, server.url, { viewport: MOBILE_VIEWPORT });
    try {
      const page = await context.newPage();
      const section = await openSection(page, "kim@demo.example");
      await section.getByLabel("Name of the device or app").fill("Android");
      await section.getByRole("button", { name: "Create app password" }).click();
      const secret = section.locator(".carddav-secret-value");
      await secret.waitFor();
      expect(await axeViolations(page)).toEqual([]);
      expect(await davStatus("kim@demo.example", (await secret.textContent())!.trim())).toBe(207);
      // Nothing runs off the side: the long URL and secret wrap.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    } finally {
      await context.close();
    }
  });
});
