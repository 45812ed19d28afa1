// The one file every CPU-pool thread starts with. A worker thread does not get the main
// thread's TypeScript loader under vitest (vite-node), and Node 20 ignores `--import tsx` in a
// worker's execArgv; so this plain module registers tsx's loader for its thread before it
// imports any task module. (tsx's `tsImport` called lazily fails when the process itself runs
// under `--import tsx`; `register()` at load time works both ways.)
import { register } from "tsx/esm/api";

register();

/** Runs `name` exported by the TypeScript module at `module` (a file URL) with `input`. */
export default async function runTask({ module, name, input }) {
  const task = (await import(module))[name];
  if (typeof task !== "function") throw new TypeError(`${module} exports no function ${name}`);
  return task(input);
}
