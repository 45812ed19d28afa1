import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for a condition; vitest's 1 s default is too short for a busy 2-core machine
    // (a sticker picture fetched, sniffed and stored on first view took longer in CI).
    expect: { poll: { timeout: 15_000 } },
    // Two cores: each test file boots its own server and database, so two at a time.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    globalSetup: ["test/support/global-setup.ts"],
  },
});
