import { PNG } from "pngjs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, MOBILE_VIEWPORT, newContext, signInThroughUi } from "../support/browser.ts";
import { addFriendThroughLink, emulatorOf } from "../support/line.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../support/server.ts";

// DESIGN §4 steps 4–8 in the web app: a LINE friend of Sato's is added from the room, edited
// (the LINE nickname stays locked), shared with Kim only, deleted to the Trash and restored —
// on PC and on a phone, where the contact is its own page.

let server: TestServer;
let browser: Browser;
let invitationUrl: string;
let kim: ApiClient;
let smith: ApiClient;

const BOOT_TIMEOUT_MS = 120_000;
const JOURNEY_TIMEOUT_MS = 60_000;
const KIM = "김민준";

beforeAll(async () => {
  [server, browser] = await Promise.all([bootServer(), launchBrowser()]);
  const sato = await signedIn(server, "sato@demo.example");
  const invitation = await sato.get("/api/v1/invitations/me");
  expect(invitation.status).toBe(200);
  invitationUrl = invitation.json.url;
  [kim, smith] = await Promise.all([signedIn(server, "kim@demo.example"), signedIn(server, "smith@demo.example")]);
}, BOOT_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A LINE user who has added Sato through the invitation link, so Sato has a room with them. */
async function lineFriendOfSato(displayName: string) {
  const user = await emulatorOf(server).createUser({ displayName });
  const added = await addFriendThroughLink(invitationUrl, user.userId);
  expect(added.status).toBe(302);
}

const toast = (page: Page, text: string) => page.getByRole("status").getByText(text);

async function contactJourney(lineName: string, viewport?: { width: number; height: number }) {
  await lineFriendOfSato(lineName);
  const context = await newContext(browser, server.url, viewport ? { viewport } : {});
  try {
    const page = await context.newPage();
    await signInThroughUi(page, "sato@demo.example");

    // Add LINE Contact in the room, then follow the link it offers.
    await page.getByRole("region", { name: "Rooms" }).getByRole("link", { name: new RegExp(`^${lineName}`) }).click();
    const room = page.getByRole("region", { name: lineName });
    await room.getByRole("button", { name: "Add LINE Contact" }).click();
    await room.getByText("Added", { exact: true }).waitFor();
    await room.getByRole("link", { name: "Open contact" }).click();
    await page.waitForURL(/\/contacts\/[0-9a-f-]{36}$/);
    const contactId = page.url().split("/").pop()!;

    const pane = page.getByRole("region", { name: lineName });
    await pane.getByRole("heading", { name: lineName, exact: true }).waitFor();
    await pane.getByRole("link", { name: "Open room" }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    const list = page.getByRole("region", { name: "External contacts" });
    if (viewport) {
      // On a phone the contact is its own page with a way back to the list.
      expect(await list.isVisible()).toBe(false);
      await pane.getByRole("link", { name: "Back to contacts" }).waitFor();
    } else {
      await list.getByRole("link", { name: new RegExp(`^${lineName}`) }).waitFor();
    }

    // Edit: the name and a phone change; the LINE nickname cannot.
    await pane.getByRole("button", { name: "Edit" }).click();
    const form = page.getByRole("form", { name: `Edit ${lineName}` });
    const nickname = form.getByLabel("Nickname");
    expect(await nickname.inputValue()).toBe(lineName);
    expect(await nickname.isEditable()).toBe(false);
    await form.getByText("Synced from LINE; it changes when the LINE user changes it.").waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await form.getByLabel("Last name", { exact: true }).fill("Tanaka");
    await form.getByLabel("First name", { exact: true }).fill(`${lineName} Jr`);
    await form.getByRole("button", { name: "Add phone" }).click();
    await form.getByLabel("Phone 1", { exact: true }).fill("+81 90-1234-5678");
    await form.getByRole("button", { name: "Save" }).click();
    const newName = `Tanaka ${lineName} Jr`;
    const saved = page.getByRole("region", { name: newName });
    await saved.getByRole("heading", { name: newName, exact: true }).waitFor();
    await toast(page, "Contact saved").waitFor();
    await saved.getByRole("link", { name: "+81 90-1234-5678" }).waitFor();
    // The nickname is still the LINE name, shown with the LINE badge.
    expect((await saved.locator(".contact-nickname").innerText()).split(/\s+/).join(" ")).toBe(`${lineName} LINE`);

    // Share with Kim only: Kim sees the contact, Smith no longer does.
    await saved.getByRole("button", { name: "Share" }).click();
    const share = page.getByRole("dialog", { name: "Share contact" });
    await share.getByLabel("Only chosen members and teams").check();
    await share.getByLabel(KIM).check();
    expect(await axeViolations(page)).toEqual([]);
    await share.getByRole("button", { name: "Save" }).click();
    await toast(page, "Sharing saved").waitFor();
    await saved.getByText("Members: 1, teams: 0").waitFor();
    expect((await kim.get(`/api/v1/contacts/${contactId}`)).status).toBe(200);
    expect((await smith.get(`/api/v1/contacts/${contactId}`)).status).toBe(404);

    // Delete to the Trash, after confirming.
    await saved.getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByRole("dialog", { name: `Move ${newName} to the Trash?` });
    await confirm.getByRole("button", { name: "Move to Trash" }).click();
    await toast(page, "Moved to the Trash").waitFor();
    await page.waitForURL(/\/contacts$/);
    await page.getByText("Select a contact to see the details.").or(list).first().waitFor();
    await expect.poll(() => list.getByRole("link", { name: new RegExp(`^${newName}`) }).count()).toBe(0);

    // The Trash lists it; Restore brings it back as it was (still shared with Kim only).
    await page.getByRole("link", { name: "Trash", exact: true }).click();
    const trash = page.getByRole("list", { name: "Trash" });
    await trash.getByText(newName, { exact: true }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await trash.getByRole("button", { name: `Restore ${newName}` }).click();
    await toast(page, `${newName} restored`).waitFor();
    await page.getByText("The Trash is empty.").waitFor();
    const restored = await kim.get(`/api/v1/contacts/${contactId}`);
    expect(restored.status).toBe(200);
    expect(restored.json.telephones).toMatchObject([{ telephone: "+81 90-1234-5678" }]);
    expect((await smith.get(`/api/v1/contacts/${contactId}`)).status).toBe(404);

    await page.getByRole("link", { name: "Back to contacts" }).click();
    await list.getByRole("link", { name: new RegExp(`^${newName}`) }).waitFor();
    if (viewport) expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
  } finally {
    await context.close();
  }
}

/**
 * Add LINE Contact for a LINE user whose contact is in my Trash offers to restore it instead;
 * then an edit made from a stale version is refused with a way to reload.
 */
async function restoreFromRoom() {
  const lineName = "Trashed Contact";
  await lineFriendOfSato(lineName);
  const sato = await signedIn(server, "sato@demo.example");
  const rooms = await sato.get("/api/v1/rooms?q=Trashed");
  const roomId: string = rooms.json.items[0].id;
  const added = await sato.post(`/api/v1/rooms/${roomId}/contact`);
  expect(added.status).toBe(201);
  expect((await sato.delete(`/api/v1/contacts/${added.json.contact.contactId}`)).status).toBe(204);

  const context = await newContext(browser, server.url);
  try {
    const page = await context.newPage();
    await signInThroughUi(page, "sato@demo.example");
    await page.goto(`/message/${roomId}`);
    const room = page.getByRole("region", { name: lineName });
    await room.getByRole("button", { name: "Add LINE Contact" }).click();
    await room.getByRole("alert").getByText("Restore the contact from the Trash instead of adding it again.").waitFor();
    await room.getByRole("button", { name: "Restore", exact: true }).click();
    await toast(page, "Contact restored from the Trash").waitFor();
    await room.getByRole("link", { name: "Open contact" }).click();
    const pane = page.getByRole("region", { name: lineName });
    await pane.getByRole("heading", { name: lineName, exact: true }).waitFor();
    const contactPath = `/api/v1/contacts/${added.json.contact.contactId}`;
    const current = await sato.get(contactPath);
    expect(current.json.deletedAt).toBeUndefined();

    // Someone else saves while the form is open: saving says so, and Reload shows their change.
    await pane.getByRole("button", { name: "Edit" }).click();
    const form = page.getByRole("form", { name: `Edit ${lineName}` });
    await form.getByLabel("Last name", { exact: true }).fill("Mine");
    const theirs = await sato.request("PATCH", contactPath, { memo: "their memo" }, { "if-match": `"${current.json.version}"` });
    expect(theirs.status).toBe(200);
    await form.getByRole("button", { name: "Save" }).click();
    await form.getByRole("alert").getByText(/^Someone else changed this contact — reload/).waitFor();
    await form.getByRole("button", { name: "Reload" }).click();
    await expect.poll(() => form.getByLabel("Memo").inputValue()).toBe("their memo");
    expect(await form.getByLabel("Last name", { exact: true }).inputValue()).toBe(current.json.contactName.lastName);
  } finally {
    await context.close();
  }
}

function tinyPng(): Buffer {
  const png = new PNG({ width: 8, height: 8 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([0x1f, 0x6f, 0xeb, 0xff], i);
  return PNG.sync.write(png);
}

/** A contact added by hand takes a photo in the edit form, and the form still saves afterwards. */
async function photoOfHandAddedContact() {
  const sato = await signedIn(server, "sato@demo.example");
  const created = await sato.post("/api/v1/contacts", { contactName: { lastName: "Photo", firstName: "Person" }, emails: [{ email: "photo@example.com" }] });
  expect(created.status).toBe(201);
  const context = await newContext(browser, server.url);
  try {
    const page = await context.newPage();
    await signInThroughUi(page, "sato@demo.example");
    await page.goto(`/contacts/${created.json.contactId}`);
    const pane = page.getByRole("region", { name: "Photo Person" });
    await pane.getByRole("button", { name: "Edit" }).click();
    const form = page.getByRole("form", { name: "Edit Photo Person" });
    expect(await form.getByLabel("Nickname").isEditable()).toBe(true);
    await form.getByLabel("Choose a photo").setInputFiles({ name: "blue.png", mimeType: "image/png", buffer: tinyPng() });
    await toast(page, "Photo updated").waitFor();
    await form.getByLabel("Nickname").fill("Pic");
    await form.getByRole("button", { name: "Save" }).click();
    await toast(page, "Contact saved").waitFor();
    const photo = pane.locator("img.avatar");
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(8);
    expect((await sato.get(`/api/v1/contacts/${created.json.contactId}`)).json.contactName.nickName).toBe("Pic");
  } finally {
    await context.close();
  }
}

/** The list's search narrows it, is kept in the address, survives opening a contact and a reload, and clears. */
async function searchKeptInAddress() {
  const sato = await signedIn(server, "sato@demo.example");
  for (const [lastName, firstName] of [["Kensaku", "Ichiro"], ["Kensaku", "Jiro"], ["Betsu", "Hanako"]] as const) {
    expect((await sato.post("/api/v1/contacts", { contactName: { lastName, firstName }, emails: [{ email: `${firstName.toLowerCase()}@example.com` }] })).status).toBe(201);
  }
  const context = await newContext(browser, server.url);
  try {
    const page = await context.newPage();
    await signInThroughUi(page, "sato@demo.example");
    await page.goto("/contacts");
    const list = page.getByRole("region", { name: "External contacts" });
    const box = list.getByRole("searchbox", { name: "Search by name, reading, nickname, company, phone or e-mail" });
    const names = () => list.locator("ul.contacts").getByRole("link").allInnerTexts();
    await list.getByRole("link", { name: /Betsu/ }).waitFor();

    await box.fill("kensaku");
    await page.waitForURL(/[?&]q=kensaku(&|$)/);
    await list.getByRole("link", { name: /Betsu/ }).waitFor({ state: "detached" });
    await expect.poll(async () => (await list.locator("ul.contacts").getAttribute("aria-busy")) === "false" && (await names()).length).toBe(2);
    expect((await names()).every((n) => n.includes("Kensaku"))).toBe(true);

    // Opening a contact keeps the list as it was searched.
    await list.getByRole("link", { name: /Jiro/ }).click();
    await page.waitForURL(/\/contacts\/[0-9a-f-]{36}\?q=kensaku$/);
    expect(await box.inputValue()).toBe("kensaku");
    expect(await names()).toHaveLength(2);

    // A reload (or a shared link) shows the same search.
    await page.reload();
    await expect.poll(() => box.inputValue()).toBe("kensaku");
    await expect.poll(async () => (await names()).length).toBe(2);

    await box.fill("");
    await page.waitForURL((url) => !url.searchParams.has("q"));
    await list.getByRole("link", { name: /Betsu/ }).waitFor();
  } finally {
    await context.close();
  }
}

describe("External contacts in the web app", () => {
  it("PC: add from the room, edit, share, delete, restore", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await contactJourney("Desk Contact");
  });

  it("mobile: the same journey with the contact as its own page", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await contactJourney("Phone Contact", MOBILE_VIEWPORT);
  });

  it("a contact in the Trash is restored from the room; a concurrent edit asks to reload", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await restoreFromRoom();
  });

  it("a contact added by hand gets a photo from the edit form", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await photoOfHandAddedContact();
  });

  it("the list's search is kept in the address: across opening a contact and a reload", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await searchKeptInAddress();
  });
});
