/**
 * Group commit: the same write from many concurrent callers, coalesced into one multi-row
 * statement. Each caller submits its item and gets its own result (or its own error) back, as
 * if it had run the statement alone.
 *
 * When to flush: at once (on the next turn of the event loop, so callers of the same tick share
 * a batch) while fewer than `maxInFlight` batches are running; otherwise items wait for the next
 * free slot. An idle system therefore pays no added latency — a lone item goes out alone — and
 * a busy one writes in batches as large as the database is slow, up to `maxBatchSize`.
 *
 * Two items with the same key never share a batch, nor run in two batches at once: a
 * multi-row upsert may not touch one row twice (Postgres refuses the whole statement), and
 * the later item must see the earlier's write, as it would have in sequence. The later one
 * waits until the batch with the earlier one is done.
 *
 * A batch that fails is, when `isolate(error)` says so (the database judged a row, e.g. a
 * foreign key), run again item by item, so one bad item fails its own caller only and the
 * others go through. Otherwise (the database is unreachable) every caller of the batch gets
 * the error, exactly as each would have got it alone.
 */

export interface GroupCommitOptions<I, O> {
  /** Runs one batch: one result per item, in the order of `items`. */
  run(items: readonly I[]): Promise<O[]>;
  /** Items with equal keys go to different batches, in the order they were submitted. */
  keyOf?: (item: I) => unknown;
  /** @defaultValue 100 */
  maxBatchSize?: number;
  /** Batches running at once. @defaultValue 2 */
  maxInFlight?: number;
  /** Whether a failed batch of several items is retried one item at a time. @defaultValue never */
  isolate?: (error: unknown) => boolean;
}

export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>;
  /** Items waiting for a batch and batches running (for tests and metrics). */
  readonly pending: number;
  readonly inFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(result: O): void;
  reject(error: unknown): void;
}

export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  const maxBatchSize = options.maxBatchSize ?? 100;
  const maxInFlight = options.maxInFlight ?? 2;
  if (!(maxBatchSize >= 1) || !(maxInFlight >= 1)) throw new Error('group commit: maxBatchSize and maxInFlight must be at least 1');
  let queue: Waiting<I, O>[] = [];
  let inFlight = 0;
  /** Keys of the items in running batches: their next item waits until they are written. */
  const busyKeys = new Set<unknown>();
  let scheduled = false;

  const schedule = () => {
    if (scheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  };

  function flush(): void {
    scheduled = false;
    drain();
  }

  function drain(): void {
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = take();
      if (batch.length === 0) return; // all that waits is behind a running batch
      const keys = options.keyOf ? batch.map((w) => options.keyOf!(w.item)) : [];
      for (const key of keys) busyKeys.add(key);
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        for (const key of keys) busyKeys.delete(key);
        // What gathered while the batch ran goes out now: there is nothing left to wait for.
        drain();
      });
    }
  }

  /** The next batch: up to maxBatchSize items of distinct keys, oldest first. */
  function take(): Waiting<I, O>[] {
    if (!options.keyOf) return queue.splice(0, maxBatchSize);
    const batch: Waiting<I, O>[] = [];
    const rest: Waiting<I, O>[] = [];
    const keys = new Set<unknown>();
    for (const waiting of queue) {
      const key = options.keyOf(waiting.item);
      // An item whose key is already taken stays, and so keeps its place before later items.
      if (batch.length < maxBatchSize && !keys.has(key) && !busyKeys.has(key)) {
        keys.add(key);
        batch.push(waiting);
      } else {
        rest.push(waiting);
      }
    }
    queue = rest;
    return batch;
  }

  async function runBatch(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await options.run(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((w, i) => w.resolve(results[i] as O));
    } catch (error) {
      if (batch.length > 1 && options.isolate?.(error)) {
        await Promise.all(batch.map((w) => runBatch([w])));
        return;
      }
      for (const w of batch) w.reject(error);
    }
  }

  return {
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    get pending() {
      return queue.length;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
