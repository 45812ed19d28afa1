export interface Notification {
  channel: string;
  payload: string;
}

/**
 * Sends NOTIFYs after the writes they announce have committed, coalesced: while one batch is on
 * its way, everything queued meanwhile waits for the next, so a burst costs a few statements
 * instead of one per transaction. (On PostgreSQL every notifying transaction holds one
 * database-wide lock through its commit, WAL flush included: NOTIFY inside busy write
 * transactions would serialize all of their commits.) A notification lost to a crash between
 * commit and send is covered by the listeners' own sweeps and polling.
 */
export function createNotifier(send: (batch: readonly Notification[]) => Promise<void>) {
  let queued: Notification[] = [];
  let flight: Promise<void> | undefined;

  async function flush(): Promise<void> {
    while (queued.length) {
      const seen = new Set<string>();
      const batch = queued.filter((n) => {
        const key = `${n.channel}\u0000${n.payload}`;
        return seen.has(key) ? false : (seen.add(key), true);
      });
      queued = [];
      await send(batch);
    }
  }

  return {
    /** Resolves once these notifications have been sent (in this batch or a later one). */
    notify(batch: readonly Notification[]): Promise<void> {
      if (!batch.length) return Promise.resolve();
      queued.push(...batch);
      // One batch at a time; the loop picks up whatever arrives while it sends.
      flight ??= flush().finally(() => (flight = undefined));
      return flight;
    },
  };
}
