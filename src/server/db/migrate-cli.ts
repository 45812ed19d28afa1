import { loadConfig } from "../config.ts";
import { openDatabase } from "./database.ts";
import { migrate } from "./migrate.ts";

const config = loadConfig();
const db = await openDatabase(config);
const applied = await migrate(db);
console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
await db.close();
