// `npm start`: builds the web app and the server bundle where their sources changed, then runs the
// bundle in this same process. Three Node processes in a row (two build checks, then the server)
// cost ≈ 0.2 s each to start before any work; here the checks are two hashes, and a build, when one
// is due, runs in a child process so that Vite and esbuild never sit in the server's memory.
// Plain JavaScript: it runs before anything could compile TypeScript.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { webBuild } from "./build-web.mjs";
import { serverBuild } from "./build-server.mjs";
import { freshness } from "./source-hash.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
for (const [script, target] of [
  ["build-web.mjs", webBuild],
  ["build-server.mjs", serverBuild],
]) {
  if (freshness(target).current) continue;
  const run = spawnSync(process.execPath, [path.join(here, script)], { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
// What `node --enable-source-maps` would do: stack traces name the TypeScript sources.
process.setSourceMapsEnabled(true);
await import(pathToFileURL(serverBuild.output).href);
