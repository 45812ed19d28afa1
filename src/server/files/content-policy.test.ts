import { PNG } from "pngjs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newContext } from "../../../test/support/browser.ts";
import { addFriendThroughLink, emulatorOf } from "../../../test/support/line.ts";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { contentDisposition } from "./content-policy.ts";

/**
 * Hostile bytes (SVG and HTML with scripts) sent by a LINE user or uploaded by a member must never
 * run as a page on our origin, whatever type they were declared with: opened directly in Chromium,
 * their script would retitle the page.
 */
const PWNED = "pwned";
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>document.title = "${PWNED}"</script><rect width="10" height="10"/></svg>`;
const html = `<!doctype html><html><head><title>report</title></head><body><script>document.title = "${PWNED}"</script><img src="x" onerror="document.title = '${PWNED}'"></body></html>`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

const png = () => {
  const p = new PNG({ width: 4, height: 4 });
  p.data.fill(200);
  return new Uint8Array(PNG.sync.write(p));
};

let server: TestServer;
let sato: ApiClient;
let browser: Browser;
let channelId: string;
let userId: string;
let roomId: string;

beforeAll(async () => {
  server = await bootServer();
  channelId = server.demoLineChannelId!;
  sato = await signedIn(server, "sato@demo.example");
  browser = await launchBrowser();
  const emu = emulatorOf(server);
  const user = await emu.createUser({ displayName: "Hostile User", language: "en" });
  userId = user.userId;
  await addFriendThroughLink((await sato.get("/api/v1/invitations/me")).json.url, userId);
  await server.worker.drain();
  roomId = ((await sato.get("/api/v1/rooms")).json.items as { id: string }[])[0]!.id;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens `url` as a top-level page (signed in as Sato when `signedInAs` is set) and reports whether a script ran. */
async function scriptRanAt(url: string, signedInAs?: ApiClient): Promise<boolean> {
  const context = await newContext(browser, server.url, { acceptDownloads: true });
  try {
    if (signedInAs) {
      const [name, value] = signedInAs.cookie.split("=") as [string, string];
      await context.addCookies([{ name, value, url: server.url }]);
    }
    const page = await context.newPage();
    // An attachment aborts the navigation ("Download is starting"): the page stays blank, nothing ran.
    const response = await page.goto(url).catch(() => null);
    // Inline scripts and the onerror of a missing image have run once "load" has fired.
    if (response) await page.waitForLoadState("load");
    return (await page.title()) === PWNED;
  } finally {
    await context.close();
  }
}

function expectHostileHeaders(headers: Headers, embed: "same-origin" | "cross-origin") {
  expect(headers.get("content-type")).toBe("application/octet-stream");
  expect(headers.get("content-disposition")).toMatch(/^attachment/);
  expect(headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("cross-origin-resource-policy")).toBe(embed);
}

const latestMessages = async () => (await sato.get(`/api/v1/rooms/${roomId}/messages`)).json.items as { id: string; type: string; contentUrl: string | null; contentState: string }[];

describe("content a LINE user sends", () => {
  it.each([
    { name: "an SVG image declared image/svg+xml", message: { type: "image" as const, contentBase64: b64(svg), contentType: "image/svg+xml" } },
    { name: "an SVG image declared image/png", message: { type: "image" as const, contentBase64: b64(svg), contentType: "image/png" } },
    { name: "an HTML page declared video/mp4", message: { type: "video" as const, contentBase64: b64(html), contentType: "video/mp4" } },
    { name: "an HTML file declared text/html", message: { type: "file" as const, contentBase64: b64(html), contentType: "text/html", fileName: "invoice.html" } },
  ])("$name is a download that runs no script", async ({ message }) => {
    await emulatorOf(server).sendMessage(userId, channelId, message);
    await server.worker.drain();
    const [m] = await latestMessages();
    expect(m).toMatchObject({ type: message.type, contentState: "stored" });
    const url = `${server.url}${m!.contentUrl}`;
    const res = await fetch(url, { headers: { cookie: sato.cookie } });
    expect(res.status).toBe(200);
    expectHostileHeaders(res.headers, "same-origin");
    if (message.type === "file") expect(res.headers.get("content-disposition")).toBe(`attachment; filename="invoice.html"; filename*=UTF-8''invoice.html`);
    expect(await scriptRanAt(url, sato)).toBe(false);
  });

  it("a real PNG still shows inline, with the same protective headers", async () => {
    await emulatorOf(server).sendMessage(userId, channelId, { type: "image", contentBase64: Buffer.from(png()).toString("base64"), contentType: "image/svg+xml" });
    await server.worker.drain();
    const [m] = await latestMessages();
    const res = await fetch(`${server.url}${m!.contentUrl}`, { headers: { cookie: sato.cookie } });
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toBe("inline");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });
});

describe("files a member uploads", () => {
  /** The signed public URL LINE's servers (and the LINE user) get for the member's last file. */
  async function publicUrlOfLastFile() {
    const chat = await emulatorOf(server).chat(userId, channelId);
    const text = chat.filter((m) => m.from === "bot" && m.message.type === "text").at(-1)!.message.text as string;
    return text.split("\n").at(-1)!;
  }

  it.each([
    { fileName: "report.html", type: "text/html", body: html },
    { fileName: "図.svg", type: "image/svg+xml", body: svg },
  ])("$fileName is a download at the public signed URL and in the API, and runs no script", async ({ fileName, type, body }) => {
    const sent = await sato.request("POST", `/api/v1/rooms/${roomId}/uploads?type=file&fileName=${encodeURIComponent(fileName)}`, new TextEncoder().encode(body), {
      "content-type": type,
    });
    expect(sent.status).toBe(201);
    await server.worker.drain();
    const publicUrl = await publicUrlOfLastFile();
    expect(publicUrl).toMatch(/\/line\/media\//);
    const res = await fetch(publicUrl);
    expectHostileHeaders(res.headers, "cross-origin");
    expect(res.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent(fileName)}`);
    expect(await scriptRanAt(publicUrl)).toBe(false);

    const api = `${server.url}${sent.json.contentUrl}`;
    expectHostileHeaders((await fetch(api, { headers: { cookie: sato.cookie } })).headers, "same-origin");
    expect(await scriptRanAt(api, sato)).toBe(false);
  });

  it("an SVG sent as an image is refused", async () => {
    const res = await sato.request("POST", `/api/v1/rooms/${roomId}/uploads?type=image&fileName=x.svg`, new TextEncoder().encode(svg), { "content-type": "image/svg+xml" });
    expect(res.status).toBe(415);
  });
});

describe("photos", () => {
  it("a member photo and the sender icon carry the content policy's headers", async () => {
    const satoId = (await sato.get("/api/v1/me")).json.member.id;
    expect((await sato.request("PUT", `/api/v1/members/${satoId}/photo`, png(), { "content-type": "image/png" })).status).toBe(200);
    const photo = await fetch(`${server.url}/api/v1/members/${satoId}/photo`, { headers: { cookie: sato.cookie } });
    expect(photo.headers.get("content-type")).toBe("image/png");
    expect(photo.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(photo.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    // An SVG is not a photo, whatever it is declared as.
    expect((await sato.request("PUT", `/api/v1/members/${satoId}/photo`, new TextEncoder().encode(svg), { "content-type": "image/png" })).status).toBe(415);
  });
});

describe("contentDisposition", () => {
  it("keeps an ASCII fallback and the exact UTF-8 name (RFC 5987)", () => {
    expect(contentDisposition("attachment", `a "b"\\c;.html`)).toBe(`attachment; filename="a _b__c;.html"; filename*=UTF-8''a%20%22b%22%5Cc%3B.html`);
    expect(contentDisposition("attachment", "報告 (1).pdf")).toBe(`attachment; filename="__ (1).pdf"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%20%281%29.pdf`);
    expect(contentDisposition("inline")).toBe("inline");
  });
});
