import { PNG } from "pngjs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe.ts";
import { launchBrowser, newContext, signInThroughUi } from "../support/browser.ts";
import { shownNotifications, watchNotifications } from "../support/notifications.ts";
import { addFriendThroughLink, emulatorOf } from "../support/line.ts";
import { bootServer, signedIn, type TestServer } from "../support/server.ts";

// Granting LINE by member (with LINE's name refusal shown on the member's row), a member editing
// their own profile, and their notification settings, in real Chromium against a real server.

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

function tinyPng(): Buffer {
  const png = new PNG({ width: 4, height: 4 });
  png.data.fill(0x80);
  return PNG.sync.write(png);
}

describe("member settings in the web app", () => {
  it("admin grants by member; LINE's refusal of a name is shown next to that member", async () => {
    const api = await signedIn(server, "admin@demo.example");
    const created = await api.post("/api/v1/members", {
      loginId: "bob",
      email: "bob@demo.example",
      displayName: "Bob 😀",
      password: "bob-password-1",
    });
    expect(created.status).toBe(201);

    const context = await newContext(browser, server.url);
    try {
      const page = await context.newPage();
      await signInThroughUi(page, "admin@demo.example");
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin", exact: true }).click();
      const line = page.getByRole("region", { name: "Chat with LINE users" });
      await line.getByRole("radio", { name: "Grant by member" }).check();
      await line.getByRole("checkbox", { name: "Grant new members automatically" }).uncheck();
      await line.getByRole("button", { name: "Save LINE settings" }).click();
      await page.getByRole("status").getByText("LINE settings saved").waitFor();

      // Revoke Sato: the switch flips and the API agrees.
      const sato = line.getByRole("switch", { name: "佐藤 花子" });
      await expect.poll(() => sato.getAttribute("aria-checked")).toBe("true");
      await sato.click();
      await page.getByRole("status").getByText("佐藤 花子: saved").waitFor();
      await expect.poll(() => sato.getAttribute("aria-checked")).toBe("false");
      const satoApi = await signedIn(server, "sato@demo.example");
      const access = await satoApi.get("/api/v1/line/access");
      expect(access.status).toBe(403);
      expect(access.json.code).toBe("line_not_allowed");

      // Bob was granted as a new member; revoking works, granting again is refused by LINE.
      const bob = line.getByRole("switch", { name: "Bob 😀" });
      await bob.click();
      await page.getByRole("status").getByText("Bob 😀: saved").waitFor();
      await expect.poll(() => bob.getAttribute("aria-checked")).toBe("false");
      await bob.click();
      const bobRow = line.getByRole("listitem").filter({ has: page.getByRole("switch", { name: "Bob 😀" }) });
      await bobRow.getByRole("alert").getByText("LINE does not accept the name “Bob 😀”: it contains an emoji. Change the name first.").waitFor();
      expect(await bob.getAttribute("aria-checked")).toBe("false");
      // Only that row carries the error.
      expect(await line.getByRole("alert").count()).toBe(1);
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("Me → Notifications: with desktop notifications and the sound off a LINE message only raises the badge; on again, both come back", { timeout: 90_000 }, async () => {
    const smith = await signedIn(server, "smith@demo.example");
    const friends = [];
    for (const displayName of ["Quiet Friend", "Loud Friend"]) {
      const user = await emulatorOf(server).createUser({ displayName, language: "en" });
      expect((await addFriendThroughLink((await smith.get("/api/v1/invitations/me")).json.url, user.userId)).status).toBe(302);
      friends.push(user.userId);
    }
    await server.worker.drain();
    const say = (userId: string, text: string) => emulatorOf(server).sendMessage(userId, server.demoLineChannelId!, { type: "text", text });
    const context = await newContext(browser, server.url);
    try {
      await context.grantPermissions(["notifications"], { origin: server.url });
      await watchNotifications(context);
      // Each note of the chime is an oscillator: counted, since headless Chromium has no speaker to listen to.
      await context.addInitScript(() => {
        const w = window as unknown as { oscillators: number };
        w.oscillators = 0;
        const create = AudioContext.prototype.createOscillator;
        AudioContext.prototype.createOscillator = function (this: AudioContext) {
          w.oscillators += 1;
          return create.call(this);
        };
      });
      const page = await context.newPage();
      await signInThroughUi(page, "smith@demo.example");
      await page.goto("/me");
      const section = page.getByRole("region", { name: "Notifications" });
      const saved = async () => (await smith.get("/api/v1/me/notifications")).json as { desktop: boolean; sound: boolean };
      // The boxes show what the server saved: each click is followed by the save it sends.
      const desktop = section.getByLabel("Show desktop notifications");
      const sound = section.getByLabel("Play a sound");
      await sound.waitFor();
      expect(await axeViolations(page)).toEqual([]);
      const toggle = async (box: typeof desktop, on: boolean) => {
        await box.click();
        await expect.poll(() => box.isChecked()).toBe(on);
        await expect.poll(() => box.isEnabled()).toBe(true);
      };
      await toggle(desktop, false);
      await toggle(sound, false);
      await expect.poll(saved).toMatchObject({ desktop: false, sound: false });

      const oscillators = () => page.evaluate(() => (window as unknown as { oscillators: number }).oscillators);
      const shown = async () => (await shownNotifications(page)).map((n) => n.title);
      const badge = page.getByRole("navigation", { name: "Main" }).locator(".nav-badge");
      const streams = async () =>
        (await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM live_streams s JOIN members m ON m.id = s.member_id WHERE m.email = 'smith@demo.example'"))[0]!.n;
      await expect.poll(streams, { timeout: 15_000 }).toBe(1);
      await say(friends[0]!, "Shh");
      await badge.getByText("1", { exact: true }).waitFor({ timeout: 20_000 });

      // Both on again: the next message is announced and chimes. The quiet one, earlier on the same stream, never was.
      await toggle(desktop, true);
      await toggle(sound, true);
      await expect.poll(saved).toMatchObject({ desktop: true, sound: true });
      // Ticking the box lets the member hear the chime once (two notes).
      expect(await oscillators()).toBe(2);
      await say(friends[1]!, "Hello!");
      await expect.poll(shown, { timeout: 20_000 }).toEqual(["Loud Friend"]);
      await expect.poll(oscillators).toBe(4);
      await badge.getByText("2", { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("a member uploads a photo (wrong files refused) and edits their details; names render as text", async () => {
    const context = await newContext(browser, server.url);
    try {
      const page = await context.newPage();
      await signInThroughUi(page, "kim@demo.example");
      await page.getByRole("link", { name: /김민준/ }).click();
      await page.getByRole("heading", { name: "My profile", level: 1 }).waitFor();

      const chooser = page.getByLabel("Choose a photo");
      const upload = page.getByRole("button", { name: "Upload photo" });
      await chooser.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image") });
      await page.getByRole("alert").getByText("Choose a JPG, PNG or GIF image.").waitFor();
      expect(await upload.isDisabled()).toBe(true);
      // 10 MB made inside the page: pushing it through the DevTools protocol is slow on a busy machine.
      await chooser.evaluate((input: HTMLInputElement) => {
        const files = new DataTransfer();
        files.items.add(new File([new Uint8Array(10 * 1024 * 1024)], "huge.png", { type: "image/png" }));
        input.files = files.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      await page.getByRole("alert").getByText("The photo must be smaller than 10 MB.").waitFor();

      await chooser.setInputFiles({ name: "me.png", mimeType: "image/png", buffer: tinyPng() });
      await page.getByRole("img", { name: "Preview of the new photo" }).waitFor();
      await upload.click();
      await page.getByRole("status").getByText("Photo updated").waitFor();
      // The account column now shows the stored photo, served by the API and really decoded.
      const avatar = page.locator(".account-link img.avatar");
      await avatar.waitFor();
      expect(await avatar.getAttribute("src")).toMatch(/^\/api\/v1\/members\/[0-9a-f-]+\/photo\?v=\d+$/);
      await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(4);

      // The shared schema catches a bad phone before any request.
      await page.getByLabel("Phone").fill("call me");
      await page.getByRole("button", { name: "Save profile" }).click();
      await page.getByRole("alert").getByText("must be a phone number", { exact: false }).waitFor();
      expect(await axeViolations(page)).toEqual([]);

      const hostile = `Kim <img src=x onerror="document.title='pwned'">`;
      await page.getByLabel("Phone").fill("+82 2-555-0099");
      await page.getByLabel("Display name").fill(hostile);
      await page.getByRole("button", { name: "Save profile" }).click();
      await page.getByRole("status").getByText("Profile saved").waitFor();
      await page.locator(".account-name").getByText(hostile, { exact: true }).waitFor();
      expect(await page.locator(".account-name img").count()).toBe(0);
      expect(await page.title()).toBe("Tsunagu");
      expect(await page.getByLabel("Phone").inputValue()).toBe("+82 2-555-0099");

      // Signing out ends the session on the server: the app no longer opens without signing in.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to Tsunagu" }).waitFor();
      await page.goto("/contacts");
      await page.getByRole("heading", { name: "Sign in to Tsunagu" }).waitFor();
      expect(new URL(page.url()).searchParams.get("next")).toBe("/contacts");
    } finally {
      await context.close();
    }
  });
});
