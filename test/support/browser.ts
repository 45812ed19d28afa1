import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { DEMO_PASSWORD } from "./server.ts";

/** The machine's Chromium (Debian package in CI), headless; never a downloaded browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

export const PC_VIEWPORT = { width: 1280, height: 800 };
export const MOBILE_VIEWPORT = { width: 390, height: 844 };

/**
 * A fresh browser profile (own cookies and storage) pointed at the server. English unless the
 * test asks for another locale, so text assertions do not depend on the machine's language.
 */
export async function newContext(browser: Browser, baseURL: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: PC_VIEWPORT, locale: "en-US", ...options });
  // Below vitest's 30 s test timeout, so a missing element fails naming its locator instead of
  // as an anonymous test timeout.
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  return context;
}

export const ACTION_TIMEOUT_MS = 10_000;

/** Signs in through the sign-in page, as a person would, and waits for the signed-in shell. */
export async function signInThroughUi(page: Page, login: string, password = DEMO_PASSWORD) {
  await page.goto("/signin");
  await page.getByLabel("E-mail or ID").fill(login);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}
