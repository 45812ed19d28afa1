import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchBrowser, MOBILE_VIEWPORT, newContext, signInThroughUi } from "../support/browser.ts";
import { ApiClient, bootServer, DEMO_PASSWORD, signedIn, type TestServer } from "../support/server.ts";

// DESIGN §2.1 end to end: the administrator closes the LINE gate in the web app and a member
// sees why, first because of the policy, then because of the plan; on PC and on a phone.

let server: TestServer;
let browser: Browser;

// Booting PGlite and Chromium together can take long on a busy two-core CI machine.
const BOOT_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// Each journey starts from the demo company's settings: Core plan, LINE allowed to all.
beforeEach(async () => {
  const admin = await signedIn(server, "admin@demo.example");
  expect((await admin.put("/api/v1/admin/plan", { plan: "core" })).status).toBe(200);
  const policy = { policy: "allow", grant: "all", grantNewMembers: true, filesAllowed: true };
  expect((await admin.put("/api/v1/admin/line-policy", policy)).status).toBe(200);
});

async function openTab(page: Page, name: string) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
  await expect.poll(() => page.getByRole("link", { name, exact: true }).getAttribute("aria-current")).toBe("page");
}

async function gateJourney(viewport?: { width: number; height: number }) {
  const adminContext = await newContext(browser, server.url, viewport ? { viewport } : {});
  const memberContext = await newContext(browser, server.url, viewport ? { viewport } : {});
  try {
    const admin = await adminContext.newPage();
    await signInThroughUi(admin, "admin@demo.example");
    // Allowed: the honest empty state, not an error.
    await admin.getByText("No LINE rooms yet").waitFor();
    if (viewport) {
      // Phone layout: the navigation is a bar along the bottom edge, with a "Me" tab standing in
      // for the PC account column (which is hidden).
      const nav = (await admin.getByRole("navigation", { name: "Main" }).boundingBox())!;
      expect(nav.y + nav.height).toBeGreaterThan(viewport.height - 2);
      expect(nav.width).toBeGreaterThan(viewport.width - 2);
      await admin.getByRole("link", { name: "Me", exact: true }).waitFor();
      expect(await admin.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    }

    await openTab(admin, "Admin");
    const line = admin.getByRole("region", { name: "Chat with LINE users" });
    await line.getByRole("radio", { name: "Do not allow" }).check();
    await line.getByRole("button", { name: "Save LINE settings" }).click();
    await admin.getByRole("status").getByText("LINE settings saved").waitFor();

    const member = await memberContext.newPage();
    await signInThroughUi(member, "sato@demo.example");
    await member.getByRole("heading", { name: "Chat with LINE users is unavailable" }).waitFor();
    await member.getByText("Your administrator has not allowed chatting with LINE users.").waitFor();
    await member.getByText("Ask your administrator").waitFor();
    expect(await member.getByRole("link", { name: "Change in Admin" }).count()).toBe(0);
    // Members have no Admin entry at all.
    expect(await member.getByRole("link", { name: "Admin", exact: true }).count()).toBe(0);

    await line.getByRole("radio", { name: "Allow", exact: true }).check();
    await line.getByRole("button", { name: "Save LINE settings" }).click();
    await admin.getByRole("status").getByText("LINE settings saved").last().waitFor();
    const plan = admin.getByRole("region", { name: "Plan" });
    await plan.getByRole("radio", { name: "Standard" }).check();
    await plan.getByRole("button", { name: "Save plan" }).click();
    await admin.getByRole("status").getByText("Plan saved").waitFor();

    await member.reload();
    await member.getByText("Chat with LINE users needs the Core plan").waitFor();
    await openTab(member, "Contacts");
    await member.getByText("Chat with LINE users needs the Core plan").waitFor();

    // The administrator is pointed at the place to change it.
    await openTab(admin, "Message");
    await admin.getByText("Chat with LINE users needs the Core plan").waitFor();
    await admin.getByRole("link", { name: "Change in Admin" }).click();
    await admin.getByRole("heading", { name: "Admin", level: 1 }).waitFor();
  } finally {
    await Promise.all([adminContext.close(), memberContext.close()]);
  }
}

// Two browser profiles and three saves: quick on an idle machine, but a CI box running other
// suites beside this one can stretch it past vitest's default 30 s.
const JOURNEY_TIMEOUT_MS = 45_000;

describe("admin gate in the web app", () => {
  it("PC: closing the LINE gate shows members the reason (policy, then plan)", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await gateJourney();
  });

  it("mobile: the same journey through the bottom tabs", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await gateJourney(MOBILE_VIEWPORT);
  });

  it("a wrong password shows the server's reason and keeps the member on sign-in", async () => {
    const context = await newContext(browser, server.url);
    try {
      const page = await context.newPage();
      await page.goto("/message");
      // Not signed in: sent to sign-in.
      await page.getByRole("heading", { name: "Sign in to Tsunagu" }).waitFor();
      await page.getByLabel("E-mail or ID").fill("sato@demo.example");
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByLabel("Password").press("Enter");
      await page.getByRole("alert").getByText("The e-mail/ID or the password is wrong.").waitFor();
      expect(new URL(page.url()).pathname).toBe("/signin");

      // After repeated failures the account is locked and the page says for how long.
      const api = new ApiClient(server.url);
      for (let i = 0; i < 5; i++) await api.post("/api/v1/session", { login: "smith@demo.example", password: "wrong" });
      await page.getByLabel("E-mail or ID").fill("smith@demo.example");
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").getByText("Too many failed sign-ins. Try again in 15 minutes.").waitFor();
    } finally {
      await context.close();
    }
  });

  it("renders Japanese for a Japanese browser, and remembers a switch to Korean", async () => {
    const context = await newContext(browser, server.url, { locale: "ja-JP" });
    try {
      const page = await context.newPage();
      await page.goto("/signin");
      await page.getByRole("heading", { name: "Tsunagu にログイン" }).waitFor();
      expect(await page.locator("html").getAttribute("lang")).toBe("ja");
      await page.getByLabel("メールアドレスまたはID").fill("kim@demo.example");
      await page.getByLabel("パスワード").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "ログイン" }).click();
      const nav = page.getByRole("navigation", { name: "メイン" });
      await nav.getByRole("link", { name: "メッセージ" }).waitFor();
      await page.getByText("LINE のトークルームはまだありません", { exact: false }).waitFor();

      await page.getByLabel("言語").selectOption("ko");
      await page.getByRole("navigation", { name: "메인" }).getByRole("link", { name: "메시지" }).waitFor();
      await page.reload();
      await page.getByRole("navigation", { name: "메인" }).getByRole("link", { name: "연락처" }).waitFor();
    } finally {
      await context.close();
    }
  });
});
