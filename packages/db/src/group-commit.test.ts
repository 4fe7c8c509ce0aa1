import { createGroupCommit } from './group-commit';

/** A run() whose batches the test completes by hand. */
function manualRunner<I>() {
  const batches: { items: I[]; resolve(results: unknown[]): void; reject(error: unknown): void }[] = [];
  const run = (items: readonly I[]) =>
    new Promise<unknown[]>((resolve, reject) => batches.push({ items: [...items], resolve, reject }));
  return { batches, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('callers of the same tick share one batch, and each gets its own result', async () => {
  const runs: number[][] = [];
  const commit = createGroupCommit<number, string>({
    run: async (items) => {
      runs.push([...items]);
      return items.map((n) => `r${n}`);
    },
  });
  const results = await Promise.all([1, 2, 3].map((n) => commit.submit(n)));
  expect(results).toEqual(['r1', 'r2', 'r3']);
  expect(runs).toEqual([[1, 2, 3]]);
});

test('a lone item goes out at once, alone', async () => {
  const runs: number[][] = [];
  const commit = createGroupCommit<number, number>({ run: async (items) => (runs.push([...items]), [...items]) });
  expect(await commit.submit(7)).toBe(7);
  expect(runs).toEqual([[7]]);
});

test('while maxInFlight batches run, later items gather into the next batch', async () => {
  const { batches, run } = manualRunner<number>();
  const commit = createGroupCommit<number, unknown>({ run, maxInFlight: 1 });
  const first = commit.submit(1);
  await tick();
  expect(batches.map((b) => b.items)).toEqual([[1]]);
  const later = [2, 3, 4].map((n) => commit.submit(n));
  await tick();
  expect(batches).toHaveLength(1);
  expect(commit.pending).toBe(3);
  expect(commit.inFlight).toBe(1);

  batches[0]!.resolve(['one']);
  expect(await first).toBe('one');
  await tick();
  expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
  batches[1]!.resolve(['two', 'three', 'four']);
  expect(await Promise.all(later)).toEqual(['two', 'three', 'four']);
  expect(commit.pending).toBe(0);
  expect(commit.inFlight).toBe(0);
});

test('a batch holds at most maxBatchSize items; the rest go in the following batches, in order', async () => {
  const runs: number[][] = [];
  const commit = createGroupCommit<number, number>({
    run: async (items) => (runs.push([...items]), items.map((n) => n * 10)),
    maxBatchSize: 3,
    maxInFlight: 1,
  });
  const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => commit.submit(n)));
  expect(results).toEqual([10, 20, 30, 40, 50, 60, 70]);
  expect(runs).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
});

test('items of one key never share a batch, and keep their order', async () => {
  const runs: string[][] = [];
  const commit = createGroupCommit<string, string>({
    run: async (items) => (runs.push([...items]), [...items]),
    keyOf: (item) => item.split(':')[0],
    maxInFlight: 1,
  });
  await Promise.all(['a:1', 'b:1', 'a:2', 'c:1', 'a:3'].map((item) => commit.submit(item)));
  expect(runs).toEqual([['a:1', 'b:1', 'c:1'], ['a:2'], ['a:3']]);
});

test('a failed batch fails each of its callers with the error', async () => {
  const error = new Error('connection refused');
  const commit = createGroupCommit<number, number>({
    run: async () => {
      throw error;
    },
    isolate: () => false,
  });
  const outcomes = await Promise.allSettled([1, 2, 3].map((n) => commit.submit(n)));
  expect(outcomes).toEqual([1, 2, 3].map(() => ({ status: 'rejected', reason: error })));
  // And the next submit gets a batch of its own again.
  await expect(commit.submit(4)).rejects.toBe(error);
});

test('when isolate says so, a failed batch runs again item by item: one bad item fails only its caller', async () => {
  const runs: number[][] = [];
  const commit = createGroupCommit<number, number>({
    run: async (items) => {
      runs.push([...items]);
      if (items.includes(13)) throw Object.assign(new Error('foreign key'), { code: '23503' });
      return [...items];
    },
    isolate: (error) => (error as { code?: string }).code === '23503',
  });
  const outcomes = await Promise.allSettled([12, 13, 14].map((n) => commit.submit(n)));
  expect(outcomes).toEqual([
    { status: 'fulfilled', value: 12 },
    { status: 'rejected', reason: expect.objectContaining({ message: 'foreign key' }) },
    { status: 'fulfilled', value: 14 },
  ]);
  expect(runs).toEqual([[12, 13, 14], [12], [13], [14]]);
});

test('a run that returns the wrong number of results fails its callers instead of mismatching them', async () => {
  const commit = createGroupCommit<number, number>({ run: async (items) => items.slice(1) });
  const outcomes = await Promise.allSettled([1, 2].map((n) => commit.submit(n)));
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
});

test('an item whose key is in a running batch waits for it, even with a free slot', async () => {
  const { batches, run } = manualRunner<string>();
  const commit = createGroupCommit<string, unknown>({ run, keyOf: (item) => item.split(':')[0], maxInFlight: 2 });
  const first = commit.submit('a:1');
  await tick();
  const second = commit.submit('a:2');
  const other = commit.submit('b:1');
  await tick();
  expect(batches.map((b) => b.items)).toEqual([['a:1'], ['b:1']]);
  batches[0]!.resolve(['one']);
  await first;
  await tick();
  expect(batches.map((b) => b.items)).toEqual([['a:1'], ['b:1'], ['a:2']]);
  batches[1]!.resolve(['other']);
  batches[2]!.resolve(['two']);
  expect(await Promise.all([second, other])).toEqual(['two', 'other']);
});
