/**
 * `npm run admin -- <command>`: operator tasks against the configured database (DATA_DIR's PGlite,
 * or DATABASE_URL). Exit codes: 0 done, 1 refused or failed, 2 bad usage or configuration.
 */
import { parseArgs } from "node:util";
import { cliConfig } from "./cli-config.ts";
import { openDatabase } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { createDirectoryService } from "../directory/service.ts";
import { openFileStore } from "../files/open-store.ts";
import { Problem } from "../http/problem.ts";
import { COMMANDS, USAGE, UsageError, runAdminCommand } from "./admin-commands.ts";

const OPTIONS = {
  name: { type: "string" },
  plan: { type: "string" },
  company: { type: "string" },
  email: { type: "string" },
  id: { type: "string" },
  role: { type: "string" },
  login: { type: "string" },
  "admin-email": { type: "string" },
  "admin-id": { type: "string" },
  "admin-name": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: OPTIONS });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || !command) {
    console.error(USAGE);
    return command ? 0 : 2;
  }
  // Before the database is opened: a typo should not wait for PGlite, nor for its lock.
  if (!(COMMANDS as readonly string[]).includes(command)) {
    console.error(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  const config = cliConfig();
  if (!config) return 2;
  let db;
  try {
    db = await openDatabase(config);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const files = await openFileStore(config.fileStore);
  try {
    await migrate(db);
    const directory = createDirectoryService({
      db,
      files: files.store,
      clock: () => new Date(),
      sessionTtlMs: config.sessionTtlMs,
    });
    await runAdminCommand(directory, command, parsed.values, (line) => console.log(line));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    console.error(err instanceof Problem ? `${err.title}: ${err.detail ?? ""}` : err);
    return 1;
  } finally {
    files.close();
    await db.close();
  }
}

process.exitCode = await main();
