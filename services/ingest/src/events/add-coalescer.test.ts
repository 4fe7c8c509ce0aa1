import type { Job, JobsOptions } from 'bullmq';
import { AddCoalescer, AddCoalescers, type BulkAddingQueue } from './add-coalescer';

interface Sent {
  name: string;
  data: unknown;
  opts?: JobsOptions;
}

/** A queue that records what it was asked to store and answers when told to. */
function recordingQueue() {
  const calls: { kind: 'add' | 'addBulk'; jobs: Sent[]; settle: (error?: Error) => void }[] = [];
  const asJob = (sent: Sent, index: number) => ({ id: sent.opts?.jobId ?? `auto-${index}`, name: sent.name, data: sent.data }) as unknown as Job;
  const queue = {
    add(name: string, data: unknown, opts?: JobsOptions) {
      return new Promise<Job>((resolve, reject) => {
        const jobs = [{ name, data, ...(opts ? { opts } : {}) }];
        calls.push({ kind: 'add', jobs, settle: (error) => (error ? reject(error) : resolve(asJob(jobs[0]!, 0))) });
      });
    },
    addBulk(jobs: Sent[]) {
      return new Promise<Job[]>((resolve, reject) => {
        calls.push({ kind: 'addBulk', jobs, settle: (error) => (error ? reject(error) : resolve(jobs.map(asJob))) });
      });
    },
  } as unknown as BulkAddingQueue;
  return { queue, calls };
}

const nextRound = () => new Promise((resolve) => setImmediate(resolve));

describe('AddCoalescer', () => {
  test('adds of one round of the event loop go out as one addBulk, in order, each caller getting its own job', async () => {
    const { queue, calls } = recordingQueue();
    const sizes: number[] = [];
    const coalescer = new AddCoalescer(queue, { onFlush: (size) => sizes.push(size) });
    const added = ['a', 'b', 'c'].map((id) => coalescer.add('deliver', { id }, { jobId: `e:${id}`, attempts: 3 }));
    expect(calls).toHaveLength(0); // held until the round is over
    expect(coalescer.pending).toBe(3);
    await nextRound();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      kind: 'addBulk',
      jobs: [
        { name: 'deliver', data: { id: 'a' }, opts: { jobId: 'e:a', attempts: 3 } },
        { name: 'deliver', data: { id: 'b' }, opts: { jobId: 'e:b', attempts: 3 } },
        { name: 'deliver', data: { id: 'c' }, opts: { jobId: 'e:c', attempts: 3 } },
      ],
    });
    calls[0]!.settle();
    const jobs = await Promise.all(added);
    expect(jobs.map((j) => j.id)).toEqual(['e:a', 'e:b', 'e:c']);
    expect(sizes).toEqual([3]);
    expect(coalescer.pending).toBe(0);
  });

  test('a caller is answered only when Redis has answered for the bulk', async () => {
    const { queue, calls } = recordingQueue();
    const coalescer = new AddCoalescer(queue);
    let settled = false;
    const added = [coalescer.add('deliver', { n: 1 }), coalescer.add('deliver', { n: 2 })];
    void added[0]!.then(() => (settled = true));
    await nextRound();
    await nextRound();
    expect(settled).toBe(false);
    calls[0]!.settle();
    await added[0];
    expect(settled).toBe(true);
  });

  test('a failed bulk rejects every caller in it with its error, and the next bulk is sent as usual', async () => {
    const { queue, calls } = recordingQueue();
    const coalescer = new AddCoalescer(queue);
    const failing = [coalescer.add('deliver', { n: 1 }), coalescer.add('deliver', { n: 2 })];
    await nextRound();
    const boom = new Error('connection lost');
    calls[0]!.settle(boom);
    const outcomes = await Promise.allSettled(failing);
    expect(outcomes).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'rejected', reason: boom },
    ]);
    const later = [coalescer.add('deliver', { n: 3 }), coalescer.add('deliver', { n: 4 })];
    await nextRound();
    expect(calls).toHaveLength(2);
    calls[1]!.settle();
    expect(await Promise.all(later)).toHaveLength(2);
  });

  test('a full batch is sent at once, bulks in flight or not; the rest waits for their answers', async () => {
    const { queue, calls } = recordingQueue();
    const coalescer = new AddCoalescer(queue, { maxBatch: 2 });
    const added = [1, 2, 3, 4, 5].map((n) => coalescer.add('deliver', { n }));
    // Two full batches went out synchronously; the fifth waits.
    expect(calls.map((c) => c.jobs.length)).toEqual([2, 2]);
    expect(coalescer.pending).toBe(1);
    await nextRound();
    expect(calls).toHaveLength(2); // both bulks are unanswered
    calls[0]!.settle();
    await nextRound();
    expect(calls).toHaveLength(2); // one still is
    calls[1]!.settle();
    await nextRound();
    await nextRound(); // the answer's round, then the one it scheduled the flush for
    expect(calls.map((c) => [c.kind, c.jobs.map((j) => (j.data as { n: number }).n)])).toEqual([
      ['addBulk', [1, 2]],
      ['addBulk', [3, 4]],
      ['add', [5]],
    ]);
    calls[2]!.settle();
    expect((await Promise.all(added)).map((j) => (j.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
  });

  test('a lone add is a plain add (no bulk), sent at the end of its round, not later', async () => {
    const { queue, calls } = recordingQueue();
    const coalescer = new AddCoalescer(queue);
    const added = coalescer.add('deliver', { n: 1 }, { jobId: 'e:1' });
    await nextRound();
    expect(calls).toEqual([expect.objectContaining({ kind: 'add', jobs: [{ name: 'deliver', data: { n: 1 }, opts: { jobId: 'e:1' } }] })]);
    calls[0]!.settle();
    expect((await added).id).toBe('e:1');
  });

  test('adds made while a bulk is in flight wait for its answer, then go out as one bulk', async () => {
    const { queue, calls } = recordingQueue();
    const coalescer = new AddCoalescer(queue);
    void coalescer.add('deliver', { n: 1 });
    await nextRound();
    void coalescer.add('deliver', { n: 2 }).catch(() => undefined);
    await nextRound();
    void coalescer.add('deliver', { n: 3 }).catch(() => undefined);
    await nextRound();
    expect(calls.map((c) => c.jobs.length)).toEqual([1]);
    expect(coalescer.pending).toBe(2);
    calls[0]!.settle();
    await nextRound();
    await nextRound();
    expect(calls.map((c) => c.jobs.length)).toEqual([1, 2]);
    calls[1]!.settle(new Error('connection lost')); // a failed bulk releases the next as well
    void coalescer.add('deliver', { n: 4 }).catch(() => undefined);
    await nextRound();
    await nextRound();
    expect(calls.map((c) => c.jobs.length)).toEqual([1, 2, 1]);
  });

  test('a bulk unanswered for holdLimitMs holds the next ones back no longer', async () => {
    const { queue, calls } = recordingQueue();
    const coalescer = new AddCoalescer(queue, { holdLimitMs: 40 });
    void coalescer.add('deliver', { n: 1 }); // never answered
    await nextRound();
    const later = coalescer.add('deliver', { n: 2 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls).toHaveLength(2);
    calls[1]!.settle();
    expect((await later).data).toEqual({ n: 2 });
  });
});

describe('AddCoalescers', () => {
  test('one coalescer per queue: bulks never mix queues', async () => {
    const first = recordingQueue();
    const second = recordingQueue();
    const coalescers = new AddCoalescers();
    expect(coalescers.for(first.queue)).toBe(coalescers.for(first.queue));
    void coalescers.for(first.queue).add('deliver', { q: 1 });
    void coalescers.for(second.queue).add('deliver', { q: 2 });
    void coalescers.for(first.queue).add('deliver', { q: 1 });
    await nextRound();
    expect(first.calls.map((c) => c.jobs.map((j) => j.data))).toEqual([[{ q: 1 }, { q: 1 }]]);
    expect(second.calls.map((c) => c.jobs.map((j) => j.data))).toEqual([[{ q: 2 }]]);
  });
});
