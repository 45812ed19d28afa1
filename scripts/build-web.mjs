// Builds the web app into dist/web only when its sources changed since the last build, so
// `npm start` and `npm test` do not pay a full Vite build (8 s on 2 cores) on every run.
// `--force` builds anyway. Plain JavaScript: it runs before anything could compile TypeScript.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale, isMain } from "./source-hash.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** What the web app is built from and into; scripts/start.mjs checks it without building. */
export const webBuild = {
  root,
  // Everything the bundle is made from: the app, the schemas it shares with the server, the
  // build configuration and the exact dependency versions.
  inputs: ["src/web", "src/shared", "vite.config.ts", "package-lock.json"],
  output: path.join(root, "dist/web/index.html"),
  // Beside dist/web, not in it: the app must not serve it, and Vite empties dist/web on every build.
  stampFile: path.join(root, "dist/.web-source-hash"),
};
if (isMain(import.meta.url)) {
  const built = await buildIfStale(webBuild, async () => {
    const { build } = await import("vite");
    await build({ configFile: path.join(root, "vite.config.ts"), logLevel: "warn" });
  });
  if (built) console.log("web app built into dist/web");
}
