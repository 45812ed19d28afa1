import fs from "node:fs";

/** Lock files this process holds, so a pid recorded by an earlier life of the same pid is not mistaken for us. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is a single-process database: a second process opening the same directory (say
 * `npm run admin` while `npm start` runs) silently corrupts it. A pid file next to the directory
 * turns that into a clear refusal. A lock left by a process that died (SIGKILL, power loss) is
 * stale and taken over. Returns the release function.
 */
export function lockPgliteDir(dir: string): () => void {
  const lockPath = `${dir}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      heldHere.add(lockPath);
      return () => {
        heldHere.delete(lockPath);
        fs.rmSync(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number(fs.readFileSync(lockPath, "utf8").trim());
    const ours = holder === process.pid && heldHere.has(lockPath);
    // In a container the server is often pid 1 on every start: our own pid in a lock we never took is stale.
    const live = Number.isInteger(holder) && holder > 0 && (holder === process.pid ? ours : isAlive(holder));
    if (live) {
      throw new Error(
        `The embedded database in ${dir} is in use by process ${holder}${ours ? " (this one)" : ""}. ` +
          `Stop that process first (PGlite allows one process at a time), or use DATABASE_URL for PostgreSQL. ` +
          `If no such process is running, delete ${lockPath}.`,
      );
    }
    fs.rmSync(lockPath, { force: true });
  }
  throw new Error(`Could not lock the embedded database in ${dir}: another process keeps taking ${lockPath}.`);
}
