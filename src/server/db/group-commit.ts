/**
 * Group commit for small writes that arrive concurrently (LINE webhook deliveries): while
 * `maxInFlight` writes are on their way to the database, the items that arrive wait, and the
 * next write takes all of them (up to `maxBatch` weight) in one statement — one round trip and
 * one WAL flush for many callers instead of one each. Every caller's promise settles only with
 * the write that holds its item, so nothing is answered before it is durable.
 *
 * If a combined write fails, each of its items is written again on its own, so one bad item
 * fails only its own caller.
 */
export interface GroupCommitOptions<T, R> {
  /** Writes the items in one statement and returns one result per item, in order. */
  write(items: T[]): Promise<R[]>;
  /** How much of a batch an item takes (e.g. its number of events); default 1. */
  weight?: (item: T) => number;
  maxBatch: number;
  maxInFlight: number;
}

interface Waiting<T, R> {
  item: T;
  resolve(r: R): void;
  reject(err: unknown): void;
}

export function createGroupCommit<T, R>(opts: GroupCommitOptions<T, R>) {
  const weight = opts.weight ?? (() => 1);
  const waiting: Waiting<T, R>[] = [];
  let inFlight = 0;

  function takeBatch(): Waiting<T, R>[] {
    const batch: Waiting<T, R>[] = [];
    let total = 0;
    // Always at least one, whatever its weight; then as many as fit, in arrival order.
    while (waiting.length && (batch.length === 0 || total + weight(waiting[0]!.item) <= opts.maxBatch)) {
      const next = waiting.shift()!;
      total += weight(next.item);
      batch.push(next);
    }
    return batch;
  }

  async function writeBatch(batch: Waiting<T, R>[]) {
    try {
      const results = await opts.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(
        batch.map(async (w) => {
          try {
            w.resolve((await opts.write([w.item]))[0]!);
          } catch (e) {
            w.reject(e);
          }
        }),
      );
    }
  }

  function pump() {
    while (inFlight < opts.maxInFlight && waiting.length) {
      const batch = takeBatch();
      inFlight++;
      void writeBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    submit(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        pump();
      });
    },
  };
}
