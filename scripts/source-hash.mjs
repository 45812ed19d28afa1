// What `npm start` and `npm test` compare to decide whether a build is stale: a hash of every
// file under `inputs` (names too, so a rename or a deleted file changes it), kept in a stamp
// file beside the output. Plain JavaScript: it runs before anything could compile TypeScript.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function* files(p) {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return yield p;
  for (const name of fs.readdirSync(p).sort()) yield* files(path.join(p, name));
}

/** The hash of `inputs` now, and whether `output` was built from them (its stamp holds that hash). */
export function freshness({ root, inputs, output, stampFile }) {
  const hash = crypto.createHash("sha256");
  for (const input of inputs)
    for (const file of files(path.join(root, input))) hash.update(path.relative(root, file)).update("\0").update(fs.readFileSync(file)).update("\0");
  const wanted = hash.digest("hex");
  const built = fs.existsSync(output) && fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8") : "";
  return { wanted, current: built === wanted };
}

/** Runs `build` when `--force` was given, `output` is missing, or `inputs` changed since the last build. */
export async function buildIfStale(target, build) {
  const { wanted, current } = freshness(target);
  if (!process.argv.includes("--force") && current) return false;
  await build();
  fs.writeFileSync(target.stampFile, wanted);
  return true;
}

/** Whether this module is the script Node was started with (a build script run, not imported by start.mjs). */
export const isMain = (url) => process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(url);
