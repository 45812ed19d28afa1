import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newContext, signInThroughUi } from "../../../test/support/browser.ts";
import { bootServer, signedIn, type TestServer } from "../../../test/support/server.ts";

/**
 * Every HTML page we serve runs under a CSP without inline script, cannot be framed, and sends
 * nosniff and a referrer policy; the pages must still work under it (no CSP violation reported).
 */
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await bootServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

function expectStrictPage(headers: Record<string, string>) {
  const csp = headers["content-security-policy"] ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).toMatch(/script-src 'self'|^(?!.*script-src)/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toMatch(/^(same-origin|no-referrer)$/);
}

/** A page that collects the CSP violations Chromium reports while it is open. */
async function watchedPage() {
  const context = await newContext(browser, server.url);
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return { page, violations, close: () => context.close() };
}

async function open(page: Page, url: string) {
  const res = await page.goto(url);
  return res!.allHeaders();
}

describe("HTML pages under a strict CSP", () => {
  it("the web app: index.html has no inline script, and signing in and opening rooms works", async () => {
    const { page, violations, close } = await watchedPage();
    expectStrictPage(await open(page, "/signin"));
    await signInThroughUi(page, "sato@demo.example");
    await page.goto("/rooms");
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    expect(violations).toEqual([]);
    await close();
  });

  it("the invitation landing page shows its styled card", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    const { url } = (await sato.get("/api/v1/invitations/me")).json as { url: string };
    const { page, violations, close } = await watchedPage();
    expectStrictPage(await open(page, url));
    await page.getByRole("heading", { name: "佐藤 花子" }).waitFor();
    // The inline <style> is allowed by its hash: the green "Add friend" button proves it applied.
    expect(await page.locator("a.add").evaluate((a) => getComputedStyle(a).backgroundColor)).toBe("rgb(4, 122, 53)");
    expect(violations).toEqual([]);
    expectStrictPage(await open(page, "/i/not-a-token"));
    await close();
  });

  it("the LINE Login callback page", async () => {
    const { page, violations, close } = await watchedPage();
    const headers = await open(page, "/line/login/callback?error=access_denied&state=nope");
    expectStrictPage(headers);
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(await page.locator("h1").textContent()).toBeTruthy();
    expect(violations).toEqual([]);
    await close();
  });

  it("the mailbox and the LINE emulator UI", async () => {
    const { page, violations, close } = await watchedPage();
    expectStrictPage(await open(page, "/__mail"));
    await page.getByText("Tsunagu mailbox").waitFor();
    expectStrictPage(await open(page, server.lineEmulator!.url));
    await page.getByText("LINE emulator").first().waitFor();
    expect(violations).toEqual([]);
    await close();
  });

  it("JSON and problem responses are nosniff too", async () => {
    const res = await fetch(`${server.url}/api/v1/me`);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
