/**
 * Accepting events: the one path every entry point (REST single, REST batch, SOAP) goes
 * through. Each item is judged on its own — shape, addresses (REST), event type known and
 * enabled, ctx against the type's schema, the outbound policy for push endpoints — then all
 * valid items are stored with one `addBulk`. A result with an id means the event is in Redis.
 *
 * Idempotency (IETF Idempotency-Key draft): a key is bound, per caller, to `<event id>:<body
 * fingerprint>` with one SET NX GET. A repeat with the same body answers the first id (and
 * re-adds the job under the same job id if it is missing, so a 202 never names an event that
 * does not exist); the same key with a different body is refused with 422.
 *
 * Enqueue failures (see README "What 202 and 503 mean"): a keyed event keeps its key bound to
 * its pre-assigned id, so the client's repeat answers that id and makes sure the job exists;
 * an event without a key has its job removed by job id right behind the add on the same
 * connection, so the 503 means it will not be delivered.
 *
 * Shards (QUEUE_SHARDS): each event goes to the queue of its lane its id picks, one add per
 * shard. A batch whose shards partly failed answers 202 with a 503 problem for each item of a
 * failed shard (never an id for something not stored); when every shard failed, the whole
 * request is a 503 as with one queue.
 */
import { createHash } from 'node:crypto';
import type { Queue, JobsOptions } from 'bullmq';
import { queueOfEvent, type LaneQueues, type RedisClient } from '@mc/redis';
import { DomainError, EventIdGenerator, LANES, parseWishedChannel, type Channel, type Lane } from '@mc/core';
import {
  DELIVER_JOB,
  checkEventShape,
  eventAddressErrors,
  eventJobId,
  type BatchEventInput,
  type EventJob,
  type Problem,
} from '@mc/contracts';
import { makeProblem } from '../http/problems';
import type { CatalogEntry, EventTypeCatalog } from './event-type-catalog';
import { eventFingerprint } from './event-fingerprint';
import { AddCoalescers } from './add-coalescer';
import { RateWindow } from './rate-window';

const NO_REPEATS: Pending[] = [];

/** ioredis states in which the connection was lost (as opposed to not yet made). */
const LOST: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end']);

const NOTHING_STORED = 'The event queue is unreachable; nothing was stored. Retry later.';
const KEYED_UNCONFIRMED =
  'The event queue did not confirm in time. Repeat the request with the same Idempotency-Key: ' +
  'it answers the same id and makes sure the event is stored; it is delivered once.';

export interface IntakeItem {
  /** Unvalidated: the intake checks the shape itself so batch items fail one by one. */
  event: unknown;
  idempotencyKey?: string;
}

export type IntakeResult = { ok: true; id: string; duplicate: boolean } | { ok: false; problem: Problem };

export interface AcceptOptions {
  /**
   * Refuse bad addresses (email syntax, E.164 phone, web push subscription shape, SNS endpoint
   * ARN) with 400. The SOAP door passes false: Adobe accepts them and the event ends
   * `targetingFailed` at the worker. @defaultValue true
   */
  checkAddresses?: boolean;
}

export interface IntakeOptions {
  /** Every shard's queue of each lane. */
  queues: LaneQueues;
  redis: RedisClient;
  catalog: EventTypeCatalog;
  ids: EventIdGenerator;
  keyPrefix: string;
  idempotencyTtlSeconds: number;
  /** Send attempts per channel (the worker retries transient failures up to this). */
  attempts: Readonly<Record<Channel, number>>;
  /** Events per second one caller (scope) may push; undefined → unlimited. */
  ratePerScope?: number;
  /** How long an enqueue may take before the caller is answered 503. @defaultValue 5000 */
  enqueueTimeoutMs?: number;
  /**
   * The outbound-URL policy for web push endpoints: why `url` may not be called, or undefined
   * when it may. A reason refuses the event with 422 (`outbound-policy`, path
   * `/push/webPush/endpoint`) at every door. @defaultValue no policy
   */
  checkPushEndpoint?: (url: string) => string | undefined;
  /** Told why an enqueue failed (the caller only hears "unavailable"). */
  onEnqueueError?: (error: unknown) => void;
  /** Called with the number of events stored, for metrics. */
  onAccepted?: (lane: Lane, count: number) => void;
}

interface Pending {
  index: number;
  job: EventJob;
  delay: number;
  fingerprint: string;
  idemKey?: string;
}

type Verdict = { ok: true; event: BatchEventInput } | { ok: false; problem: Problem };

export class EventIntake {
  /**
   * Whether the connection was lost and has not been ready since. ioredis passes through
   * `connecting` between reconnect attempts, so the status alone would let a request wait for
   * the whole enqueue timeout while Redis is known to be down.
   */
  private redisDown: boolean;
  /** Single events of concurrent requests, stored with one addBulk per queue (add-coalescer.ts). */
  private readonly coalescers = new AddCoalescers();
  /** Counts events per caller and second; only with a per-key rate. */
  private readonly rateWindow: RateWindow | undefined;

  constructor(private readonly options: IntakeOptions) {
    this.rateWindow = options.ratePerScope === undefined ? undefined : new RateWindow(options.redis, options.keyPrefix);
    this.redisDown = LOST.has(options.redis.status);
    options.redis.on('ready', () => (this.redisDown = false));
    options.redis.on('close', () => (this.redisDown = true));
  }

  /**
   * @param scope separates idempotency keys of different callers (the API key's id).
   * @param door what this entry point checks (SOAP: `{ checkAddresses: false }`).
   * @throws DomainError('unavailable') when the queue cannot be reached or did not confirm in time.
   */
  async accept(items: readonly IntakeItem[], lane: Lane, scope: string, door: AcceptOptions = {}): Promise<IntakeResult[]> {
    if (this.rateWindow) await this.checkRate(scope, items.length);
    const results: IntakeResult[] = new Array(items.length);
    const pending: Pending[] = [];
    const now = Date.now();
    const checkAddresses = door.checkAddresses ?? true;

    const judged = items.length === 1 ? [await this.judge(items[0]!.event, checkAddresses)] : await this.judgeAll(items, checkAddresses);
    judged.forEach((verdict, index) => {
      if (!verdict.ok) {
        results[index] = { ok: false, problem: verdict.problem };
        return;
      }
      const idempotencyKey = items[index]!.idempotencyKey;
      // Named, not spread: `{ ...made, index }` took V8's slow path, 2 µs an event.
      const { job, delay } = this.makeJob(verdict.event, this.options.ids.next().toString(), lane, now);
      pending.push({
        job,
        delay,
        index,
        // Only a keyed event needs its fingerprint (it costs a canonical JSON and a hash).
        fingerprint: idempotencyKey === undefined ? '' : eventFingerprint(verdict.event),
        idemKey: idempotencyKey === undefined ? undefined : this.idempotencyRedisKey(scope, idempotencyKey),
      });
    });

    const { fresh, repeats } = pending.some((p) => p.idemKey !== undefined)
      ? await this.claimIdempotencyKeys(pending, results)
      : { fresh: pending, repeats: NO_REPEATS };
    if (repeats.length > 0) {
      // A repeat of an item of this very call is stored by this call's enqueue.
      const freshIds = new Set(fresh.map((p) => p.job.id));
      const earlier = repeats.filter((r) => !freshIds.has(r.job.id));
      if (earlier.length > 0) await this.ensureJobsExist(earlier, lane);
    }
    const notStored = fresh.length > 0 ? await this.enqueue(fresh, lane) : [];
    for (const { index, job } of fresh) results[index] = { ok: true, id: job.id, duplicate: false };
    if (notStored.length > 0) {
      const failedIds = new Set(notStored.map((p) => p.job.id));
      // An item of a shard that failed, and any repeat of it in this call, answers 503 alone.
      for (const p of [...notStored, ...repeats.filter((r) => failedIds.has(r.job.id))]) {
        results[p.index] = { ok: false, problem: makeProblem(503, 'unavailable', 'Service unavailable', p.idemKey ? KEYED_UNCONFIRMED : NOTHING_STORED) };
      }
    }
    const stored = fresh.length - notStored.length;
    if (stored > 0) this.options.onAccepted?.(lane, stored);
    return results;
  }

  private makeJob(event: BatchEventInput, id: string, lane: Lane, now: number): { job: EventJob; delay: number } {
    // The job keeps the event as given, less what the intake has already acted on. Most events
    // carry neither field: they are kept as they are, without a copy (a batch makes 1000).
    const { wishedChannel } = event;
    const rest = wishedChannel === undefined && event.idempotencyKey === undefined ? event : withoutIntakeFields(event);
    const job: EventJob = {
      v: 1,
      id,
      lane,
      acceptedAt: this.isoTime(now),
      channel: wishedChannel === undefined ? 'email' : parseWishedChannel(wishedChannel)!,
      event: rest,
    };
    const delay = event.scheduled ? Math.max(0, Date.parse(event.scheduled) - now) : 0;
    return { job, delay };
  }

  private lastIso: { ms: number; text: string } = { ms: NaN, text: '' };

  /** `now` as ISO 8601; the items of one call share it, so it is formatted once per call. */
  private isoTime(ms: number): string {
    if (this.lastIso.ms !== ms) this.lastIso = { ms, text: new Date(ms).toISOString() };
    return this.lastIso.text;
  }

  private jobOptions(job: EventJob, delay: number): JobsOptions {
    return { jobId: eventJobId(job.id), delay, attempts: this.options.attempts[job.channel], backoff: { type: 'jittered' } };
  }

  /**
   * Stores the fresh events, one add per shard. Returns the events of the shards that failed;
   * throws DomainError('unavailable') when nothing was stored.
   */
  private async enqueue(fresh: Pending[], lane: Lane): Promise<Pending[]> {
    // BullMQ waits for a lost connection to come back; the caller gets a 503 instead, at once
    // when the connection is known to be down (nothing sent), else after the timeout.
    if (this.redisDown || LOST.has(this.options.redis.status)) {
      this.options.onEnqueueError?.(new Error(`redis connection is ${this.options.redis.status}`));
      throw new DomainError('unavailable', fresh.some((p) => p.idemKey) ? KEYED_UNCONFIRMED : NOTHING_STORED);
    }
    if (fresh.length === 1) {
      // One event (a single POST): its queue without a map of shards.
      const queue = queueOfEvent(this.options.queues, lane, fresh[0]!.job.id);
      await this.enqueueOnShard(queue, fresh).catch(() => {
        throw new DomainError('unavailable', fresh[0]!.idemKey === undefined ? NOTHING_STORED : KEYED_UNCONFIRMED);
      });
      return [];
    }
    const byShard = new Map<Queue, Pending[]>();
    for (const p of fresh) {
      const queue = queueOfEvent(this.options.queues, lane, p.job.id);
      const items = byShard.get(queue);
      if (items) items.push(p);
      else byShard.set(queue, [p]);
    }
    const failed = (await Promise.all([...byShard].map(([queue, items]) => this.enqueueOnShard(queue, items).then(() => [], () => items)))).flat();
    if (failed.length === fresh.length) {
      throw new DomainError('unavailable', failed.every((p) => p.idemKey === undefined) ? NOTHING_STORED : KEYED_UNCONFIRMED);
    }
    return failed;
  }

  private async enqueueOnShard(queue: Queue, items: Pending[]): Promise<void> {
    const jobs = items.map(({ job, delay }) => ({ name: DELIVER_JOB, data: job, opts: this.jobOptions(job, delay) }));
    // One event (a single POST): coalesced with the other requests of this round of I/O into
    // one addBulk on its shard's queue; settled when that bulk is stored.
    const stored: Promise<unknown> =
      jobs.length === 1 ? this.coalescers.for(queue).add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts) : queue.addBulk(jobs);
    try {
      await withTimeout(stored, this.options.enqueueTimeoutMs ?? 5000);
    } catch (error) {
      this.options.onEnqueueError?.(error);
      // The add may still land. Keyed events keep their key bound to their id: the repeat
      // answers it and re-adds the job if it is missing. The others are removed by job id,
      // sent now on the same connection so Redis runs the removal right behind the add.
      void stored.catch(() => undefined);
      for (const { job } of items.filter((p) => p.idemKey === undefined)) {
        void queue.remove(eventJobId(job.id)).catch((cleanupError) => this.options.onEnqueueError?.(cleanupError));
      }
      throw error;
    }
  }

  /**
   * A repeat answers the first event's id, which must name a job that exists: when the first
   * request's enqueue did not land, its job is added now, from the repeat's identical event.
   * `add` with an existing job id is a no-op, so a race with a late first add is harmless.
   */
  private async ensureJobsExist(repeats: Pending[], lane: Lane): Promise<void> {
    const first = new Map<string, Pending>();
    for (const r of repeats) if (!first.has(r.job.id)) first.set(r.job.id, r);
    try {
      await withTimeout(
        Promise.all(
          [...first.values()].map(async ({ job, delay }) => {
            const found = await Promise.all(LANES.map((l) => queueOfEvent(this.options.queues, l, job.id).getJob(eventJobId(job.id))));
            if (found.some((j) => j)) return;
            await queueOfEvent(this.options.queues, lane, job.id).add(DELIVER_JOB, job, this.jobOptions(job, delay));
          }),
        ),
        this.options.enqueueTimeoutMs ?? 5000,
      );
    } catch (error) {
      this.options.onEnqueueError?.(error);
      throw new DomainError('unavailable', KEYED_UNCONFIRMED);
    }
  }

  private async judge(candidate: unknown, checkAddresses: boolean): Promise<Verdict> {
    const shaped = this.judgeShape(candidate, checkAddresses);
    if (!shaped.ok) return shaped;
    return this.judgeAgainstType(shaped.event, await this.options.catalog.get(shaped.event.type));
  }

  /**
   * A batch's items judged as {@link judge} does, with each distinct event type looked up once
   * (a batch carries few): one promise per type rather than one per item.
   */
  private async judgeAll(items: readonly IntakeItem[], checkAddresses: boolean): Promise<Verdict[]> {
    const shaped = items.map((item) => this.judgeShape(item.event, checkAddresses));
    const lookups = new Map<string, Promise<CatalogEntry | undefined>>();
    for (const verdict of shaped) {
      if (verdict.ok && !lookups.has(verdict.event.type)) lookups.set(verdict.event.type, this.options.catalog.get(verdict.event.type));
    }
    const types = new Map<string, CatalogEntry | undefined>();
    await Promise.all([...lookups].map(async ([key, lookup]) => types.set(key, await lookup)));
    return shaped.map((verdict) => (verdict.ok ? this.judgeAgainstType(verdict.event, types.get(verdict.event.type)) : verdict));
  }

  /** Shape and (at the REST door) addresses: what needs no lookup. */
  private judgeShape(candidate: unknown, checkAddresses: boolean): Verdict {
    const shape = checkEventShape(candidate);
    // Address faults of well-typed fields are reported with the shape faults, all at once.
    const addressErrors =
      checkAddresses && typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate)
        ? eventAddressErrors(candidate).filter((a) => shape.ok || !shape.errors.some((e) => e.path === '/' || a.path === e.path || a.path.startsWith(`${e.path}/`)))
        : [];
    if (!shape.ok || addressErrors.length > 0) {
      const errors = [...(shape.ok ? [] : shape.errors), ...addressErrors];
      const detail = `The event is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`;
      return { ok: false, problem: makeProblem(400, 'validation', 'Invalid event', detail.length > 2000 ? `${detail.slice(0, 2000)}…` : detail, errors) };
    }
    return { ok: true, event: shape.event };
  }

  /** The event against its type (undefined: no such type): known, enabled, ctx, push policy. */
  private judgeAgainstType(event: BatchEventInput, type: CatalogEntry | undefined): Verdict {
    if (!type) {
      return {
        ok: false,
        problem: makeProblem(422, 'unknown-event-type', 'Unknown event type', `No event type "${event.type}" exists.`, [
          { path: '/type', message: 'unknown event type' },
        ]),
      };
    }
    if (!type.enabled) {
      return {
        ok: false,
        problem: makeProblem(422, 'event-type-disabled', 'Event type disabled', `Event type "${event.type}" is disabled.`, [
          { path: '/type', message: 'event type is disabled' },
        ]),
      };
    }
    const ctxErrors = type.checkCtx(event.ctx ?? {});
    if (ctxErrors.length > 0) {
      return {
        ok: false,
        problem: makeProblem(
          422,
          'ctx-schema',
          'ctx does not match the event type schema',
          `ctx violates the schema of ${event.type}: ${ctxErrors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
          ctxErrors,
        ),
      };
    }
    const policy = this.options.checkPushEndpoint;
    if (policy && event.push && 'webPush' in event.push) {
      const reason = policy(event.push.webPush.endpoint);
      if (reason !== undefined) {
        return {
          ok: false,
          problem: makeProblem(422, 'outbound-policy', 'Push endpoint refused', `The web push endpoint may not be called: ${reason}`, [
            { path: '/push/webPush/endpoint', message: reason },
          ]),
        };
      }
    }
    return { ok: true, event };
  }

  /**
   * A fixed one-second window per caller, counted in Redis so all ingest replicas share it.
   * Whole requests are refused (429), so a batch is never half-accepted for being too fast.
   */
  private async checkRate(scope: string, count: number): Promise<void> {
    const limit = this.options.ratePerScope;
    if (limit === undefined || !this.rateWindow) return;
    let used: number;
    try {
      used = await this.rateWindow.add(scope, count);
    } catch {
      throw new DomainError('unavailable', NOTHING_STORED);
    }
    if (used > limit) {
      throw new DomainError('rate_limited', `This API key may push ${limit} events per second; retry after 1 s. Nothing was stored.`);
    }
  }

  /**
   * SET NX GET per key, value `<id>:<fingerprint>`: the first caller claims it; a repeat with the
   * same fingerprint gets the first event's id back, one with another fingerprint a 422.
   * Standalone: one pipeline. Cluster: the keys hash to different slots, which a cluster
   * pipeline refuses, so each SET is sent on its own, all at once.
   */
  private async claimIdempotencyKeys(pending: Pending[], results: IntakeResult[]): Promise<{ fresh: Pending[]; repeats: Pending[] }> {
    const keyed = pending.filter((p) => p.idemKey !== undefined);
    if (keyed.length === 0) return { fresh: pending, repeats: [] };
    const redis = this.options.redis;
    const ttl = this.options.idempotencyTtlSeconds;
    let replies: [Error | null, unknown][] | null;
    try {
      if (redis.isCluster) {
        replies = await Promise.all(
          keyed.map((p) =>
            redis.set(p.idemKey!, `${p.job.id}:${p.fingerprint}`, 'EX', ttl, 'NX', 'GET').then(
              (previous): [null, unknown] => [null, previous],
              (error: Error): [Error, null] => [error, null],
            ),
          ),
        );
      } else {
        const pipeline = redis.pipeline();
        for (const p of keyed) pipeline.set(p.idemKey!, `${p.job.id}:${p.fingerprint}`, 'EX', ttl, 'NX', 'GET');
        replies = await pipeline.exec();
      }
    } catch {
      throw new DomainError('unavailable', NOTHING_STORED);
    }
    // Two items of one batch with the same key: the second repeats the first.
    const claimedInThisCall = new Map<string, string>();
    const settled = new Set<number>();
    const repeats: Pending[] = [];
    keyed.forEach((p, i) => {
      const [error, previous] = replies?.[i] ?? [new Error('no reply'), null];
      if (error) throw new DomainError('unavailable', NOTHING_STORED);
      const bound = typeof previous === 'string' ? previous : claimedInThisCall.get(p.idemKey!);
      if (bound === undefined) {
        claimedInThisCall.set(p.idemKey!, `${p.job.id}:${p.fingerprint}`);
        return;
      }
      settled.add(p.index);
      const colon = bound.indexOf(':');
      // A value without a fingerprint was written before fingerprints existed: trust the id.
      const id = colon < 0 ? bound : bound.slice(0, colon);
      const fingerprint = colon < 0 ? p.fingerprint : bound.slice(colon + 1);
      if (fingerprint !== p.fingerprint) {
        results[p.index] = {
          ok: false,
          problem: makeProblem(
            422,
            'idempotency-key-reuse',
            'Idempotency key reused',
            `This idempotency key was first used with a different event (id ${id}); a new event needs a new key.`,
            [{ path: '/idempotencyKey', message: 'already used with a different body' }],
          ),
        };
        return;
      }
      results[p.index] = { ok: true, id, duplicate: true };
      repeats.push({ ...p, job: { ...p.job, id } });
    });
    return { fresh: pending.filter((p) => !settled.has(p.index)), repeats };
  }

  private idempotencyRedisKey(scope: string, key: string): string {
    const digest = createHash('sha256').update(scope).update('\0').update(key).digest('hex');
    return `${this.options.keyPrefix}:idem:${digest}`;
  }
}

function withoutIntakeFields(event: BatchEventInput): EventJob['event'] {
  const { wishedChannel: _channel, idempotencyKey: _key, ...rest } = event;
  return rest;
}

/** One promise and one timer: Promise.race with a timeout promise and a finally made four. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`enqueue took longer than ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
