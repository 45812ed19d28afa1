import fs from "node:fs";

/**
 * Browser tests run in the machine's Chromium; a missing browser must fail the run, never
 * skip it (CI installs it with apt-get).
 */
export default function setup() {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!fs.existsSync(chromium)) {
    throw new Error(`Chromium not found at ${chromium}: install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  if (!fs.existsSync("dist/web/index.html")) {
    throw new Error("The web app is not built: run `npm test` (it builds first) or `npm run build:web`.");
  }
  if (!fs.existsSync("dist/server/main.mjs")) {
    throw new Error("The server is not built: run `npm test` (it builds first) or `npm run build:server`.");
  }
}
