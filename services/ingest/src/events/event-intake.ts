/**
 * Accepting events: the one path every entry point (REST single, REST batch, SOAP) goes
 * through. Each item is judged on its own — shape, event type known and enabled, ctx against
 * the type's schema — then all valid items are stored with one `addBulk`. A result with an id
 * means the event is in Redis; nothing is acknowledged before the enqueue is awaited.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DomainError, EventIdGenerator, parseWishedChannel, type Channel, type Lane, type FieldError } from '@mc/core';
import {
  BatchEventInput,
  DELIVER_JOB,
  eventJobId,
  type EventInput,
  type EventJob,
  type Problem,
} from '@mc/contracts';
import { makeProblem } from '../http/problems';
import type { EventTypeCatalog } from './event-type-catalog';

const checkShape = TypeCompiler.Compile(BatchEventInput);
/** ioredis states in which the connection was lost (as opposed to not yet made). */
const LOST: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end']);

export interface IntakeItem {
  /** Unvalidated: the intake checks the shape itself so batch items fail one by one. */
  event: unknown;
  idempotencyKey?: string;
}

export type IntakeResult = { ok: true; id: string; duplicate: boolean } | { ok: false; problem: Problem };

export interface IntakeOptions {
  queues: Readonly<Record<Lane, Queue>>;
  redis: Redis;
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
  /** Told why an enqueue failed (the caller only hears "unavailable"). */
  onEnqueueError?: (error: unknown) => void;
  /** Called with the number of events stored, for metrics. */
  onAccepted?: (lane: Lane, count: number) => void;
}

export class EventIntake {
  constructor(private readonly options: IntakeOptions) {}

  /**
   * @param scope separates idempotency keys of different callers (the API key's id).
   * @throws DomainError('unavailable') when the queue cannot be reached: nothing was stored.
   */
  async accept(items: readonly IntakeItem[], lane: Lane, scope: string): Promise<IntakeResult[]> {
    await this.checkRate(scope, items.length);
    const results: IntakeResult[] = new Array(items.length);
    const jobs: { index: number; job: EventJob; delay: number; idemKey?: string }[] = [];
    const now = Date.now();

    const judged = await Promise.all(items.map((item) => this.judge(item.event)));
    judged.forEach((verdict, index) => {
      if (!verdict.ok) {
        results[index] = { ok: false, problem: verdict.problem };
        return;
      }
      const { event } = verdict;
      const id = this.options.ids.next().toString();
      // The job keeps the event as given, less what the intake has already acted on.
      const { wishedChannel, idempotencyKey: _inBody, ...rest } = event;
      const idempotencyKey = items[index]!.idempotencyKey;
      const job: EventJob = {
        v: 1,
        id,
        lane,
        acceptedAt: new Date(now).toISOString(),
        channel: wishedChannel === undefined ? 'email' : parseWishedChannel(wishedChannel)!,
        event: rest,
      };
      const delay = event.scheduled ? Math.max(0, Date.parse(event.scheduled) - now) : 0;
      jobs.push({
        index,
        job,
        delay,
        idemKey: idempotencyKey === undefined ? undefined : this.idempotencyRedisKey(scope, idempotencyKey),
      });
    });

    const fresh = await this.claimIdempotencyKeys(jobs, results);
    if (fresh.length > 0) {
      try {
        const jobs = fresh.map(({ job, delay }) => ({
          name: DELIVER_JOB,
          data: job,
          opts: { jobId: eventJobId(job.id), delay, attempts: this.options.attempts[job.channel], backoff: { type: 'jittered' } },
        }));
        // BullMQ waits for a lost connection to come back; the caller gets a 503 instead, at once
        // when the connection is known to be down, else after the timeout.
        if (LOST.has(this.options.redis.status)) throw new Error(`redis connection is ${this.options.redis.status}`);
        const queue = this.options.queues[lane];
        // One event: a plain add, which skips addBulk's transaction (measurably cheaper per request).
        const stored: Promise<unknown> =
          jobs.length === 1 ? queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts) : queue.addBulk(jobs);
        await withTimeout(stored, this.options.enqueueTimeoutMs ?? 5000);
      } catch (error) {
        this.options.onEnqueueError?.(error);
        await this.releaseIdempotencyKeys(fresh);
        throw new DomainError('unavailable', 'The event queue is unreachable; nothing was stored. Retry later.');
      }
    }
    for (const { index, job } of fresh) results[index] = { ok: true, id: job.id, duplicate: false };
    if (fresh.length > 0) this.options.onAccepted?.(lane, fresh.length);
    return results;
  }

  private async judge(candidate: unknown): Promise<{ ok: true; event: EventInput & { idempotencyKey?: string } } | { ok: false; problem: Problem }> {
    if (!checkShape.Check(candidate)) {
      const errors: FieldError[] = [...checkShape.Errors(candidate)].slice(0, 20).map((e) => ({
        path: e.path || '/',
        message: e.message,
      }));
      return { ok: false, problem: makeProblem(400, 'validation', 'Invalid event', 'The event does not match the schema.', errors) };
    }
    const event = candidate;
    for (const field of ['scheduled', 'expiration'] as const) {
      const value = event[field];
      if (value !== undefined && Number.isNaN(Date.parse(value))) {
        return {
          ok: false,
          problem: makeProblem(400, 'validation', 'Invalid event', `${field} is not a date-time.`, [
            { path: `/${field}`, message: 'expected an RFC 3339 date-time' },
          ]),
        };
      }
    }
    const type = await this.options.catalog.get(event.type);
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
    return { ok: true, event };
  }

  /**
   * A fixed one-second window per caller, counted in Redis so all ingest replicas share it.
   * Whole requests are refused (429), so a batch is never half-accepted for being too fast.
   */
  private async checkRate(scope: string, count: number): Promise<void> {
    const limit = this.options.ratePerScope;
    if (limit === undefined) return;
    const second = Math.floor(Date.now() / 1000);
    const key = `${this.options.keyPrefix}:ingest-rate:${createHash('sha256').update(scope).digest('hex').slice(0, 16)}:${second}`;
    let used: number;
    try {
      const replies = await this.options.redis.multi().incrby(key, count).expire(key, 2).exec();
      used = Number(replies?.[0]?.[1]);
    } catch {
      throw new DomainError('unavailable', 'The event queue is unreachable; nothing was stored. Retry later.');
    }
    if (used > limit) {
      throw new DomainError('rate_limited', `This API key may push ${limit} events per second; retry after 1 s. Nothing was stored.`);
    }
  }

  /** SET NX per key: the first caller claims it; a repeat gets the first event's id back. */
  private async claimIdempotencyKeys(
    jobs: { index: number; job: EventJob; delay: number; idemKey?: string }[],
    results: IntakeResult[],
  ): Promise<typeof jobs> {
    const keyed = jobs.filter((j) => j.idemKey !== undefined);
    if (keyed.length === 0) return jobs;
    const pipeline = this.options.redis.pipeline();
    for (const j of keyed) pipeline.set(j.idemKey!, j.job.id, 'EX', this.options.idempotencyTtlSeconds, 'NX', 'GET');
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch {
      throw new DomainError('unavailable', 'The event queue is unreachable; nothing was stored. Retry later.');
    }
    const claimedInThisCall = new Map<string, string>();
    const duplicates = new Set<number>();
    keyed.forEach((j, i) => {
      const [error, previous] = replies?.[i] ?? [new Error('no reply'), null];
      if (error) throw new DomainError('unavailable', 'The event queue is unreachable; nothing was stored. Retry later.');
      // Two items of one batch with the same key: the second repeats the first.
      const earlier = claimedInThisCall.get(j.idemKey!);
      if (typeof previous === 'string' || earlier !== undefined) {
        results[j.index] = { ok: true, id: (previous as string | null) ?? earlier!, duplicate: true };
        duplicates.add(j.index);
      } else {
        claimedInThisCall.set(j.idemKey!, j.job.id);
      }
    });
    return jobs.filter((j) => !duplicates.has(j.index));
  }

  private async releaseIdempotencyKeys(jobs: { idemKey?: string; job: EventJob }[]): Promise<void> {
    const keys = jobs.filter((j) => j.idemKey).map((j) => j.idemKey!);
    if (keys.length === 0) return;
    await this.options.redis.del(...keys).catch(() => undefined);
  }

  private idempotencyRedisKey(scope: string, key: string): string {
    const digest = createHash('sha256').update(scope).update('\0').update(key).digest('hex');
    return `${this.options.keyPrefix}:idem:${digest}`;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`enqueue took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
