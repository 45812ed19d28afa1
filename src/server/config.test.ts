import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

const run = promisify(execFile);

/** LINE fetches pushed images and sender icons from PUBLIC_BASE_URL over HTTPS only. */
describe("live mode and PUBLIC_BASE_URL", () => {
  it("starts live on https, and in emulator mode on anything", () => {
    expect(loadConfig({ LINE_MODE: "live", PUBLIC_BASE_URL: "https://tsunagu.example.com/" }).publicBaseUrl).toBe("https://tsunagu.example.com");
    expect(loadConfig({ PUBLIC_BASE_URL: "http://localhost:3000" }).lineMode).toBe("emulator");
    expect(loadConfig({}).allowInsecurePublicUrl).toBe(false);
  });

  it("refuses live mode on http or with no PUBLIC_BASE_URL, naming the variable and the way out", () => {
    for (const env of [{ PUBLIC_BASE_URL: "http://tsunagu.example.com" }, {}]) {
      const attempt = () => loadConfig({ LINE_MODE: "live", ...env });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/PUBLIC_BASE_URL: LINE_MODE=live needs an https:\/\/ PUBLIC_BASE_URL/);
      expect(attempt).toThrow(/LINE_ALLOW_INSECURE_PUBLIC_URL=1/);
    }
    expect(() => loadConfig({ LINE_MODE: "live" })).toThrow(/not set, so it would be http:\/\/localhost:3000/);
  });

  it("starts live on http only with LINE_ALLOW_INSECURE_PUBLIC_URL=1", () => {
    const config = loadConfig({ LINE_MODE: "live", PUBLIC_BASE_URL: "http://127.0.0.1:3000", LINE_ALLOW_INSECURE_PUBLIC_URL: "1" });
    expect(config.allowInsecurePublicUrl).toBe(true);
    expect(() => loadConfig({ LINE_ALLOW_INSECURE_PUBLIC_URL: "yes" })).toThrow(ConfigError);
  });

  it("the server process exits 2 with the message before it opens anything", async () => {
    const env = { ...process.env, LINE_MODE: "live", PUBLIC_BASE_URL: "http://tsunagu.example.com", LINE_ALLOW_INSECURE_PUBLIC_URL: "0" };
    const failed = await run(process.execPath, ["--import", "tsx", "src/server/main.ts"], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/PUBLIC_BASE_URL: LINE_MODE=live needs an https:\/\/ PUBLIC_BASE_URL .*; it is http:\/\/tsunagu\.example\.com/);
  });
});
