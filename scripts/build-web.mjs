// Builds the web app into dist/web only when its sources changed since the last build, so
// `npm start` and `npm test` do not pay a full Vite build (8 s on 2 cores) on every run.
// `--force` builds anyway. Plain JavaScript: it runs before anything could compile TypeScript.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "dist/web");
// Beside dist/web, not in it: the app must not serve it, and Vite empties dist/web on every build.
const stampFile = path.join(root, "dist/.web-source-hash");
// Everything the bundle is made from: the app, the schemas it shares with the server, the
// build configuration and the exact dependency versions.
const inputs = ["src/web", "src/shared", "vite.config.ts", "package-lock.json"];

function* files(p) {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return yield p;
  for (const name of fs.readdirSync(p).sort()) yield* files(path.join(p, name));
}

function sourceHash() {
  const hash = crypto.createHash("sha256");
  for (const input of inputs) {
    for (const file of files(path.join(root, input))) {
      // Names too, so a rename or a deleted file changes the hash.
      hash.update(path.relative(root, file)).update("\0").update(fs.readFileSync(file)).update("\0");
    }
  }
  return hash.digest("hex");
}

const wanted = sourceHash();
const built = fs.existsSync(path.join(outDir, "index.html")) && fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8") : "";
if (process.argv.includes("--force") || built !== wanted) {
  const { build } = await import("vite");
  await build({ configFile: path.join(root, "vite.config.ts"), logLevel: "warn" });
  fs.writeFileSync(stampFile, wanted);
  console.log("web app built into dist/web");
}
