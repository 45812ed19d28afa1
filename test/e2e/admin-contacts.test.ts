import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, signInThroughUi } from "../support/browser.ts";
import { addFriendThroughLink, emulatorOf } from "../support/line.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../support/server.ts";

// Issue 6 in the web app: the administrator finds contacts under the five filters, hands one to
// another member, changes its privacy (the chatting rule refuses first), reads its history, and
// searches and downloads the audit log — on PC and on a phone. Members never get the admin area.

let server: TestServer;
let browser: Browser;
let invitationUrl: string;
let sato: ApiClient;
let kim: ApiClient;
let smith: ApiClient;
let admin: ApiClient;

const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 90_000;
const SATO = "佐藤 花子";
const KIM = "김민준";
const ADMIN = "山田 太郎 (Admin)";

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
  const as = (login: string) => signedIn(server, `${login}@demo.example`);
  [sato, kim, smith, admin] = await Promise.all([as("sato"), as("kim"), as("smith"), as("admin")]);
  const invitation = await sato.get("/api/v1/invitations/me");
  expect(invitation.status).toBe(200);
  invitationUrl = invitation.json.url;
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const toast = (page: Page, text: string) => page.getByRole("status").getByText(text);
const row = (page: Page, name: string) => page.getByRole("region", { name: "Company contacts" }).getByRole("link", { name: new RegExp(`^${name}`) });

/**
 * Sato's story with a LINE user, through the real paths: the LINE user adds Sato by the
 * invitation link, Sato adds them as a contact from the room, opens it and edits it; and a
 * hand-typed contact of Sato's goes to the Trash.
 */
async function satosContacts(lineName: string, trashedName: string) {
  const user = await emulatorOf(server).createUser({ displayName: lineName });
  expect((await addFriendThroughLink(invitationUrl, user.userId)).status).toBe(302);
  const rooms = await sato.get(`/api/v1/rooms?q=${encodeURIComponent(lineName)}`);
  const added = await sato.post(`/api/v1/rooms/${rooms.json.items[0].id}/contact`);
  expect(added.status).toBe(201);
  const contactId: string = added.json.contact.contactId;
  expect((await sato.get(`/api/v1/contacts/${contactId}`)).status).toBe(200);
  const edited = await sato.request("PATCH", `/api/v1/contacts/${contactId}`, { memo: "met at the fair" }, { "if-match": `"${added.json.contact.version}"` });
  expect(edited.status).toBe(200);

  const trashed = await sato.post("/api/v1/contacts", { contactName: { lastName: trashedName }, emails: [{ email: `${trashedName.replace(/\W/g, "")}@example.com` }] });
  expect(trashed.status).toBe(201);
  expect((await sato.delete(`/api/v1/contacts/${trashed.json.contactId}`)).status).toBe(204);
  return contactId;
}

async function adminJourney(suffix: string, viewport?: { width: number; height: number }) {
  const lineName = `Fair Visitor ${suffix}`;
  const trashedName = `Old Supplier ${suffix}`;
  const contactId = await satosContacts(lineName, trashedName);
  const context = await newContext(browser, server.url, viewport ? { viewport } : {});
  try {
    const page = await context.newPage();
    await signInThroughUi(page, "admin@demo.example");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin", exact: true }).click();
    const sections = page.getByRole("navigation", { name: "Admin sections" });
    await sections.getByRole("link", { name: "Contacts", exact: true }).click();
    await page.waitForURL(/\/admin\/contacts$/);

    // Filters: LINE contacts lists the LINE friend (with the LINE badge), not the Trash item;
    // In Trash lists the deleted one, not the live LINE contact.
    const filters = page.getByRole("group", { name: "Show" });
    await filters.getByRole("button", { name: "LINE contacts", exact: true }).click();
    await expect.poll(() => filters.getByRole("button", { name: "LINE contacts", exact: true }).getAttribute("aria-pressed")).toBe("true");
    await row(page, lineName).waitFor();
    expect(await row(page, lineName).locator(".line-badge").innerText()).toBe("LINE");
    await expect.poll(() => row(page, trashedName).count()).toBe(0);
    await filters.getByRole("button", { name: "In Trash", exact: true }).click();
    await row(page, trashedName).waitFor();
    await row(page, trashedName).getByText(/^Deleted /).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await expect.poll(() => row(page, lineName).count()).toBe(0);

    await filters.getByRole("button", { name: "All", exact: true }).click();
    await row(page, lineName).getByText(`Owner: ${SATO}`).waitFor();
    await row(page, lineName).click();
    await page.waitForURL(new RegExp(`/admin/contacts/${contactId}`));
    const pane = page.getByRole("region", { name: lineName });
    await pane.getByRole("heading", { name: lineName, level: 2 }).waitFor();
    if (viewport) {
      // On a phone the contact is its own view, with a way back to the list.
      await expect.poll(() => page.getByRole("region", { name: "Company contacts" }).isVisible()).toBe(false);
      await pane.getByRole("link", { name: "Back to the list" }).waitFor();
    } else {
      await row(page, lineName).waitFor();
    }

    // Change the owner to Kim: Kim now has the contact in their own list.
    const ownerForm = pane.getByRole("form", { name: "Change owner" });
    await ownerForm.getByLabel("New owner").selectOption({ label: `${KIM} (Sales)` });
    await ownerForm.getByRole("button", { name: "Change owner" }).click();
    await toast(page, `Owner changed to ${KIM}`).waitFor();
    await pane.locator(".contact-field", { hasText: "Owner" }).getByText(KIM).waitFor();
    const kimsList = await kim.get(`/api/v1/contacts?q=${encodeURIComponent(lineName)}`);
    expect(kimsList.json.items.map((c: { contactId: string }) => c.contactId)).toEqual([contactId]);
    expect((await kim.get(`/api/v1/contacts/${contactId}`)).json.permission.ownerId).toBe((await kim.get("/api/v1/me")).json.member.id);

    // Narrowing privacy so that Sato, who chats with this LINE user, loses sight is refused clearly.
    const privacyForm = pane.getByRole("form", { name: "Change privacy" });
    await privacyForm.getByLabel("Only chosen members and teams").check();
    await privacyForm.getByLabel(SATO).uncheck();
    await privacyForm.getByRole("button", { name: "Save privacy" }).click();
    const refused = privacyForm.getByRole("alert");
    await refused.getByText("Not saved: someone chatting with this LINE user would lose sight of the contact.").waitFor();
    await refused.getByText(`${SATO} is chatting with this LINE user`, { exact: false }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    expect((await smith.get(`/api/v1/contacts/${contactId}`)).status).toBe(404);

    // Opening it to everyone is allowed: Smith now sees it too.
    await privacyForm.getByLabel("Everyone in the company").check();
    await privacyForm.getByRole("button", { name: "Save privacy" }).click();
    await toast(page, "Privacy saved").waitFor();
    await pane.locator(".contact-field", { hasText: "Privacy" }).getByText("Everyone in the company").waitFor();
    expect((await smith.get(`/api/v1/contacts/${contactId}`)).status).toBe(200);

    // History answers "who did what to this contact, when", newest first.
    const history = pane.getByRole("region", { name: "History" });
    const entry = (actor: string, action: string) => history.getByRole("listitem").filter({ hasText: actor }).filter({ has: page.getByText(action, { exact: true }) });
    await entry(ADMIN, "changed the privacy").waitFor();
    await entry(ADMIN, "changed the owner").getByText(`${SATO} → ${KIM}`).waitFor();
    await entry(SATO, "edited").getByText("Changed: memo").waitFor();
    await entry(SATO, "viewed").first().waitFor();
    await entry(SATO, "added").getByText("from a LINE room").waitFor();
    const actions = await history.locator(".audit-action").allInnerTexts();
    expect(actions.indexOf("changed the privacy")).toBeLessThan(actions.indexOf("changed the owner"));
    expect(actions.indexOf("edited")).toBeLessThan(actions.indexOf("added"));
    expect(await history.locator("time").first().getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/);

    // The audit log: search by the contact's name, narrow to one action, download the same as CSV.
    await sections.getByRole("link", { name: "Audit log", exact: true }).click();
    await page.waitForURL(/\/admin\/audit$/);
    const log = page.getByRole("list", { name: "Audit entries" });
    await log.getByRole("listitem").first().waitFor();
    await page.getByLabel("Search", { exact: true }).fill(lineName);
    await expect.poll(async () => new Set(await log.locator(".audit-target").allInnerTexts())).toEqual(new Set([lineName]));
    await page.getByLabel("Action").selectOption({ label: "edited" });
    await expect.poll(() => log.getByRole("listitem").count()).toBe(1);
    await log.getByRole("listitem").filter({ hasText: SATO }).getByText("Changed: memo").waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // A date range in the browser's days: tomorrow on finds nothing; an end before the start is
    // refused; today alone finds the edit again.
    const [today, tomorrow] = await page.evaluate(() => [new Date(), new Date(Date.now() + 86_400_000)].map((d) => d.toLocaleDateString("sv")));
    await page.getByLabel("From", { exact: true }).fill(tomorrow!);
    await page.getByText("No entries match these filters.").waitFor();
    await page.getByLabel("To", { exact: true }).fill(today!);
    await page.getByRole("alert").getByText("The end date is before the start date.").waitFor();
    await page.getByLabel("From", { exact: true }).fill(today!);
    await expect.poll(() => log.getByRole("listitem").count()).toBe(1);

    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download CSV" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("audit-log.csv");
    const csv = fs.readFileSync((await download.path())!, "utf8").replace(/^\uFEFF/, "").trim().split("\r\n");
    expect(csv[0]).toBe("time,actor_id,actor_name,action,target_type,target_id,target_name,detail");
    // The same filters as on screen (words, action, days): exactly Sato's edit of this contact.
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(`"${SATO}","contact.edit","contact","${contactId}","${lineName}"`);

    if (viewport) expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
  } finally {
    await context.close();
  }
}

describe("admin contacts and audit log in the web app", () => {
  it("PC: filters, change owner and privacy, history, audit search and CSV", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await adminJourney("PC");
  });

  it("mobile: the same journey, the contact as its own view", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await adminJourney("Phone", MOBILE_VIEWPORT);
  });

  it("contact settings: the Trash retention is validated and saved", async () => {
    const context = await newContext(browser, server.url);
    try {
      const page = await context.newPage();
      await signInThroughUi(page, "admin@demo.example");
      await page.goto("/admin/contact-settings");
      const form = page.getByRole("region", { name: "Contact settings" });
      const days = form.getByLabel("Keep deleted contacts in the Trash for");
      await expect.poll(() => days.inputValue()).toBe("30");
      await days.fill("0");
      await form.getByRole("button", { name: "Save contact settings" }).click();
      await form.getByRole("alert").getByText("Enter a whole number of days from 1 to 365.").waitFor();
      expect(await axeViolations(page)).toEqual([]);
      expect((await admin.get("/api/v1/admin/contact-settings")).json.trashRetentionDays).toBe(30);

      await days.fill("45");
      await form.getByRole("button", { name: "Save contact settings" }).click();
      await toast(page, "Contact settings saved").waitFor();
      expect((await admin.get("/api/v1/admin/contact-settings")).json.trashRetentionDays).toBe(45);
      await page.reload();
      await expect.poll(() => page.getByLabel("Keep deleted contacts in the Trash for").inputValue()).toBe("45");
    } finally {
      await context.close();
    }
  });

  it("a member has no Admin link, and the admin addresses show the admins-only state", async () => {
    const context = await newContext(browser, server.url, { viewport: MOBILE_VIEWPORT });
    try {
      const page = await context.newPage();
      await signInThroughUi(page, "sato@demo.example");
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts", exact: true }).waitFor();
      expect(await page.getByRole("link", { name: "Admin", exact: true }).count()).toBe(0);
      for (const path of ["/admin/audit", "/admin/contacts"]) {
        await page.goto(path);
        await page.getByRole("alert").getByText("Only administrators can open this page.").waitFor();
        expect(await page.getByRole("navigation", { name: "Admin sections" }).count()).toBe(0);
        expect(await page.getByRole("link", { name: "Download CSV" }).count()).toBe(0);
      }
      expect((await sato.get("/api/v1/admin/audit")).status).toBe(403);
    } finally {
      await context.close();
    }
  });
});
