// Bundles the server into dist/server/main.mjs only when its sources changed since the last
// build, so a start loads one file instead of transpiling ~200 TypeScript modules through tsx's
// loader hooks on every start (most of a restart's time; issue 13 wants a restart under 3 s).
// `--force` builds anyway. Plain JavaScript: it runs before anything could compile TypeScript.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale, isMain } from "./source-hash.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outFile = path.join(root, "dist/server/main.mjs");

/**
 * Modules find their neighbours through import.meta.url (the migrations folder, CPU-pool task
 * modules, the repository root). In one bundle that would be the bundle's own URL, so each
 * module's import.meta.url becomes its source file's URL, relative to wherever the bundle sits.
 */
const sourceUrls = {
  name: "source-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const rel = path.relative(path.dirname(outFile), args.path).split(path.sep).join("/");
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: "ts" };
    });
  },
};

/**
 * Packages stay in node_modules, loaded as they are, except @line/bot-sdk: its entry module loads
 * every API client it ships (insight, LIFF, audiences, shop, modules …), ≈ 0.7–1 s and 27 MB at
 * every start on this machine; bundled, only the messaging and channel-token clients the server
 * uses are kept. It has no dependencies of its own and reads no files.
 */
const BUNDLED_PACKAGES = /^@line\/bot-sdk(\/|$)/;
const externalPackages = {
  name: "external-packages",
  setup(build) {
    // A bare specifier (not ./, ../ or /) names a package or a Node built-in.
    build.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_PACKAGES.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

/** What the server bundle is built from and into; scripts/start.mjs checks it without building. */
export const serverBuild = {
  root,
  inputs: ["src/server", "src/shared", "src/line-emulator", "scripts/build-server.mjs", "package-lock.json"],
  output: outFile,
  stampFile: path.join(root, "dist/.server-source-hash"),
};
if (isMain(import.meta.url)) {
  const built = await buildIfStale(serverBuild, async () => {
    const { build } = await import("esbuild");
    // Chunks of an earlier build would otherwise pile up beside the new ones.
    fs.rmSync(path.dirname(outFile), { recursive: true, force: true });
    await build({
      entryPoints: { main: path.join(root, "src/server/main.ts") },
      outdir: path.dirname(outFile),
      outExtension: { ".js": ".mjs" },
      // A module imported with import() becomes a chunk of its own, loaded (with the packages it
      // imports) only when first needed: in one file every package would load at start.
      splitting: true,
      chunkNames: "[name]-[hash]",
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "linked",
      logLevel: "warning",
      plugins: [externalPackages, sourceUrls],
    });
  });
  if (built) console.log("server built into dist/server");
}
