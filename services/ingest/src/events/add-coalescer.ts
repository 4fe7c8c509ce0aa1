/**
 * Concurrent single adds to one BullMQ queue, stored together with one `addBulk`.
 *
 * Each `add` of a job costs a Redis command written to the socket on its own (one write system
 * call, one reply to read): under many concurrent `POST /v1/events` that per-command cost, not
 * building the job, was the largest part of what storing an event cost the ingest. The adds
 * that arrive while the event loop is busy with one round of I/O are held until that round is
 * done (a `setImmediate`), then sent as one pipeline — so a lone request waits for no timer,
 * only for the end of its round, and a busy process sends one write for many requests (about 11
 * per write with the bench's 32 connections). Each caller still gets its own job, and its own
 * promise settles only when Redis has answered for the whole bulk, so "resolved" keeps meaning
 * "stored in Redis". When the bulk fails, every caller in it is told (with the same error): the
 * caller cannot tell which of its neighbours' jobs landed, and handles it as it handles a failed
 * single add.
 *
 * While a bulk is in flight, the next one is held until Redis has answered it (group commit):
 * a lone request still goes out at the end of its round, but under load each bulk takes all
 * that arrived during the previous round trip (with the bench's 32 connections most bulks
 * carried 10-32 jobs, 14 on average, on a busy machine). What that saves is per bulk, not per
 * job: the pipeline ioredis builds for each (it copies every script BullMQ defined onto it,
 * 4-5 % of a single POST in the profile) and the write system call. Measured on an idle
 * machine it was worth little (8,177 vs 7,949 req/s, 100 vs 107 µs of CPU per request). A bulk that Redis has not answered within `holdLimitMs` stops holding the next
 * ones back, so a stalled reply delays later adds by that much at most (10 ms), never for good.
 *
 * One coalescer per Queue (see {@link AddCoalescers}), so a caller that picks a queue per event
 * (lanes, shards) gets bulks that each stay on one queue — and, on a Redis Cluster, on one slot.
 */
import type { Job, JobsOptions, Queue } from 'bullmq';

/** What the coalescer needs of a queue; a BullMQ `Queue` is one. */
export type BulkAddingQueue = Pick<Queue, 'add' | 'addBulk'>;

export interface AddCoalescerOptions {
  /**
   * Most jobs sent in one bulk; the bulk is sent at once when it is full, so a burst is never
   * one huge pipeline. @defaultValue 256
   */
  maxBatch?: number;
  /** Told the size of each bulk sent (for metrics and tests). */
  onFlush?: (size: number) => void;
  /**
   * How long an unanswered bulk holds the next one back; after that the next is sent anyway. A
   * round trip takes about a millisecond; a stalled Redis (a failover, a slow script) must not
   * hold every request behind it — they keep their own enqueue timeout. @defaultValue 10
   */
  holdLimitMs?: number;
}

interface Waiting {
  name: string;
  data: unknown;
  opts: JobsOptions | undefined;
  resolve: (job: Job) => void;
  reject: (error: unknown) => void;
}

export class AddCoalescer {
  private readonly maxBatch: number;
  private readonly holdLimitMs: number;
  private readonly roundDone = () => this.flushUnlessInFlight();
  private waiting: Waiting[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Bulks sent and not answered yet (within holdLimitMs): while any is, the next waits. */
  private inFlight = 0;

  constructor(
    private readonly queue: BulkAddingQueue,
    private readonly options: AddCoalescerOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.holdLimitMs = options.holdLimitMs ?? 10;
  }

  /** Adds one job: resolved with it once Redis has stored it, rejected when its bulk failed. */
  add(name: string, data: unknown, opts?: JobsOptions): Promise<Job> {
    return new Promise<Job>((resolve, reject) => {
      this.waiting.push({ name, data, opts, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else if (this.inFlight === 0) this.scheduled ??= setImmediate(this.roundDone);
    });
  }

  /** Jobs handed to `add` and not sent yet. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Sends what is waiting now (also called when the batch is full or the round is done). */
  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.options.onFlush?.(batch.length);
    this.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(holdLimit);
      this.inFlight--;
      // What arrived meanwhile goes out at the end of this round, with what the round adds.
      if (this.inFlight === 0 && this.waiting.length > 0) this.scheduled ??= setImmediate(this.roundDone);
    };
    const holdLimit = setTimeout(release, this.holdLimitMs).unref();
    if (batch.length === 1) {
      // A plain add: it skips the pipeline that addBulk builds around its jobs.
      const [only] = batch as [Waiting];
      this.queue.add(only.name, only.data, only.opts).then(
        (job) => {
          release();
          only.resolve(job);
        },
        (error: unknown) => {
          release();
          only.reject(error);
        },
      );
      return;
    }
    this.queue.addBulk(batch.map(({ name, data, opts }) => (opts ? { name, data, opts } : { name, data }))).then(
      (jobs) => {
        release();
        batch.forEach((waiting, index) => {
          const job = jobs[index];
          if (job) waiting.resolve(job);
          else waiting.reject(new Error(`addBulk answered ${jobs.length} jobs for ${batch.length}`));
        });
      },
      (error: unknown) => {
        release();
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }

  /** The round's flush: held while a bulk is in flight (its answer schedules the next). */
  private flushUnlessInFlight(): void {
    this.scheduled = undefined;
    if (this.inFlight === 0) this.flush();
  }
}

/** One {@link AddCoalescer} per queue, made on first use. */
export class AddCoalescers {
  private readonly byQueue = new WeakMap<BulkAddingQueue, AddCoalescer>();

  constructor(private readonly options: AddCoalescerOptions = {}) {}

  for(queue: BulkAddingQueue): AddCoalescer {
    let coalescer = this.byQueue.get(queue);
    if (!coalescer) {
      coalescer = new AddCoalescer(queue, this.options);
      this.byQueue.set(queue, coalescer);
    }
    return coalescer;
  }
}
