import { afterEach, describe, expect, it } from "vitest";
import { bootServer, type TestServer } from "../../../test/support/server.ts";

/**
 * The sign-in-less development pages exist only with the built-in emulator or DEV_TOOLS=1. The
 * live-mode servers here listen on plain http, which live mode allows only when told to.
 */
let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const status = async (path: string) => (await fetch(`${server!.url}${path}`, { redirect: "manual" })).status;

describe("development tools", () => {
  it("live mode: no mailbox and no emulator, even with the built-in mail capture", { timeout: 90_000 }, async () => {
    server = await bootServer({ LINE_MODE: "live", LINE_ALLOW_INSECURE_PUBLIC_URL: "1" });
    expect(server.lineEmulator).toBeUndefined();
    expect(await status("/__mail")).toBe(404);
    expect(await status("/__mail/api/messages")).toBe(404);
    expect(await status("/__line")).toBe(404);
  });

  it("live mode with DEV_TOOLS=1 shows the mailbox", { timeout: 90_000 }, async () => {
    server = await bootServer({ LINE_MODE: "live", LINE_ALLOW_INSECURE_PUBLIC_URL: "1", DEV_TOOLS: "1" });
    expect(await status("/__mail")).toBe(200);
  });

  it("emulator mode (the embedded default) has both", { timeout: 90_000 }, async () => {
    server = await bootServer();
    expect(await status("/__mail")).toBe(200);
    expect(await status("/__line")).toBe(302);
  });
});
