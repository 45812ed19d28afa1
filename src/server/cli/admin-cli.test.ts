import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshTestDatabase } from "../../../test/support/fresh-database.ts";
import { ApiClient, bootServer } from "../../../test/support/server.ts";

const run = promisify(execFile);
let dataDir: string;
let database: Awaited<ReturnType<typeof freshTestDatabase>>;

/** Runs `npm run admin -- …` the way an operator does: its own process on the deployment's configuration. */
async function admin(...args: string[]) {
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", ...(database ? { DATABASE_URL: database.url } : {}) };
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/server/cli/admin-cli.ts", ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const passwordIn = (out: string) => /password(?: for [^:]+)?: (\S+)/i.exec(out)![1]!;
const boot = () => bootServer({ DATA_DIR: dataDir, DEMO_SEED: "0", ...(database ? { DATABASE_URL: database.url } : {}) });

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-cli-"));
  database = await freshTestDatabase();
});
afterAll(async () => {
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run admin", () => {
  it("creates a company whose administrator signs in, adds members, changes the plan and resets passwords", { timeout: 120_000 }, async () => {
    expect(await admin("companies")).toMatchObject({ code: 0, stdout: "No companies yet. Create one with company:create.\n" });

    // Bad input is named and changes nothing.
    const bad = await admin("company:create", "--name", "Acme", "--admin-email", "not-mail", "--admin-id", "boss", "--admin-name", "Boss");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--admin-email: must be an e-mail address");
    expect((await admin("companies")).stdout).toContain("No companies yet");
    const unknown = await admin("company:delete");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "company:delete"');

    const created = await admin("company:create", "--name", "Acme 株式会社", "--admin-email", "boss@acme.example", "--admin-id", "boss", "--admin-name", "Boss");
    expect(created.code).toBe(0);
    const companyId = /created: ([0-9a-f-]{36})/.exec(created.stdout)![1]!;
    const bossPassword = passwordIn(created.stdout);

    const added = await admin("member:add", "--company", companyId, "--email", "ann@acme.example", "--id", "ann", "--name", "Ann");
    expect(added.code).toBe(0);
    const annPassword = passwordIn(added.stdout);
    const duplicate = await admin("member:add", "--company", companyId, "--email", "ANN@acme.example", "--id", "ann2", "--name", "Ann 2");
    expect(duplicate).toMatchObject({ code: 1 });
    expect(duplicate.stderr).toContain("E-mail already in use");
    expect((await admin("members", "--company", companyId)).stdout.trim().split("\n")).toHaveLength(2);
    expect((await admin("company:plan", "--company", companyId, "--plan", "standard")).stdout).toContain("now on the standard plan");
    expect((await admin("companies")).stdout).toMatch(new RegExp(`${companyId}\\s+standard\\s+2 members\\s+Acme 株式会社`));

    let server = await boot();
    try {
      const boss = new ApiClient(server.url);
      const me = await boss.signIn("boss@acme.example", bossPassword);
      expect(me.member).toMatchObject({ role: "admin", displayName: "Boss" });
      expect(me.tenant).toMatchObject({ name: "Acme 株式会社", plan: "standard" });
      const ann = new ApiClient(server.url);
      await ann.signIn("ann", annPassword);

      if (!database) {
        // The embedded database belongs to the running server: the command refuses instead of corrupting it.
        const refused = await admin("companies");
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("is in use by process");
        await server.stop();
      }
      const reset = await admin("member:password", "--login", "ANN@acme.example");
      expect(reset.code).toBe(0);
      const annNew = passwordIn(reset.stdout);
      expect(annNew).not.toBe(annPassword);
      if (!database) server = await boot();

      // The reset ended Ann's session and replaced her password.
      expect((await new ApiClient(server.url).request("POST", "/api/v1/session", { login: "ann", password: annPassword })).status).toBe(401);
      const annAgain = new ApiClient(server.url);
      annAgain.cookie = ann.cookie;
      expect((await annAgain.request("GET", "/api/v1/me")).status).toBe(401);
      await new ApiClient(server.url).signIn("ann", annNew);
    } finally {
      await server.stop();
    }
  });
});
