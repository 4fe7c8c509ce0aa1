import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Channel } from '@mc/core';
import type { EventJob } from '@mc/contracts';
import type { Provider, SendOutcome } from '@mc/channels';
import type { EventsRepository, SettleOutcome, SuppressionsRepository } from '@mc/db';
import { TemplateError } from '@mc/render';
import type { Logger } from '@mc/observability';
import { createDeliveryProcessor, type DeliveryDeps } from './delivery.processor';
import type { RetryLimits } from './retry-policy';
import type { TemplateRoutes } from './template-routes';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;

interface FakeJob {
  id: string;
  attemptsMade: number;
  opts: { attempts: number };
  data: EventJob;
  delayedUntil?: number;
  writes: EventJob[];
  updateData(data: EventJob): Promise<void>;
  moveToDelayed(until: number, token?: string): Promise<void>;
}

/** The processor with in-memory fakes around it: one SMS template, a scripted provider. */
function setup(options: {
  outcomes?: SendOutcome[];
  retry?: Partial<Record<Channel, RetryLimits>>;
  render?: () => Promise<unknown>;
  /** Scripted settle failures: true fails that call (a database error). */
  settleFails?: boolean[];
  beginResult?: Partial<Awaited<ReturnType<EventsRepository['begin']>>>;
} = {}) {
  const outcomes = [...(options.outcomes ?? [])];
  const settleFails = [...(options.settleFails ?? [])];
  const settled: SettleOutcome[] = [];
  const endedJobs: unknown[] = [];
  const sends: unknown[] = [];
  let recordedSend = false;
  const suppressed: { channel: string; address: string; reason: string; source?: string }[] = [];
  const provider: Provider<unknown> = {
    name: 'sns-sms',
    channel: 'sms',
    send: async (message) => {
      sends.push(message);
      return outcomes.shift() ?? { kind: 'sent', provider: 'sns-sms', providerMessageId: 'm-1' };
    },
    close: async () => undefined,
  };
  const logger = { child: () => logger, info: () => undefined, debug: () => undefined, error: () => undefined, warn: () => undefined } as unknown as Logger;
  const deps: DeliveryDeps = {
    eventTypes: { find: async () => ({ id: 1, maxAgeSeconds: null }) },
    events: {
      begin: async () => ({
        taken: true,
        priorStatus: 'processing' as const,
        delivery: recordedSend ? { status: 'sent' as const, provider: 'sns-sms', attempts: 1 } : undefined,
        suppressedReason: undefined,
        ...options.beginResult,
      }),
      settle: async (_id: bigint, outcome: SettleOutcome) => {
        if (settleFails.shift()) throw new Error('Connection terminated unexpectedly');
        settled.push(outcome);
        if (outcome.attempt?.deliveryStatus === 'sent') recordedSend = true;
        return true;
      },
      settleJob: async (job: unknown) => void endedJobs.push(job) ?? true,
    } as unknown as DeliveryDeps['events'],
    suppressions: {
      upsert: async (entry: (typeof suppressed)[number]) => void suppressed.push(entry),
    } as unknown as SuppressionsRepository,
    routes: {
      resolve: async () => ({
        paused: false,
        version: { id: 7, version: 3 },
        renderer: { render: options.render ?? (async () => ({ text: 'Your code is 1234' })) },
      }),
      invalidate: () => undefined,
    } as unknown as TemplateRoutes,
    providers: { email: provider as never, sms: provider as never },
    mailFrom: 'mc@example.test',
    retryBaseDelayMs: 1000,
    retryMaxDelayMs: 900_000,
    retry: { email: { windowMs: 24 * HOUR }, sms: { windowMs: HOUR }, push: { windowMs: HOUR }, ...options.retry },
    logger,
    now: () => NOW,
  };
  const processDelivery = createDeliveryProcessor(deps);
  const job = (extra: Partial<EventJob> = {}, acceptedAgoMs = 1000): FakeJob => {
    const fake: FakeJob = {
      id: 'ev-1',
      attemptsMade: 0,
      opts: { attempts: 5 },
      data: {
        v: 1,
        id: '1',
        lane: 'realtime',
        acceptedAt: new Date(NOW - acceptedAgoMs).toISOString(),
        channel: 'sms',
        event: { type: 'OTP', mobilePhone: '+46701234567' },
        ...extra,
      },
      writes: [],
      async updateData(data) {
        fake.data = data;
        fake.writes.push(data);
      },
      async moveToDelayed(until) {
        fake.delayedUntil = until;
      },
    };
    return fake;
  };
  const run = (fake: FakeJob) => processDelivery(fake as unknown as Job, 'token');
  return { run, job, settled, suppressed, sends, endedJobs };
}

const throttled: SendOutcome = { kind: 'rate-limited', provider: 'sns-sms', error: 'Throttling: Rate exceeded', retryAfterMs: 1500 };
const unwell: SendOutcome = { kind: 'transient', provider: 'sns-sms', error: 'InternalError: down' };
const held: SendOutcome = { kind: 'held', provider: 'sns-sms', error: 'circuit open after 5 failures', retryAfterMs: 30_000 };

describe('delivery processor: send once', () => {
  it('writes the send into the job as well as the database, and a retry after a failed settle only records it', async () => {
    const { run, job, settled, sends } = setup({ settleFails: [true] });
    const fake = job();
    // The database fails right after the provider accepted: the job waits (a fault, no attempt spent).
    await expect(run(fake)).rejects.toBeInstanceOf(DelayedError);
    expect(sends).toHaveLength(1);
    expect(fake.writes[0]!.sent).toEqual({ provider: 'sns-sms', providerMessageId: 'm-1', at: new Date(NOW).toISOString() });
    expect(fake.data).toMatchObject({ sent: { providerMessageId: 'm-1' }, faults: 1 });
    expect(fake.delayedUntil).toBeGreaterThan(NOW);

    // The retry: settles sent from the job's record, never sends again.
    await expect(run(fake)).resolves.toBe('sent');
    expect(sends).toHaveLength(1);
    expect(settled).toEqual([
      expect.objectContaining({ status: 'sent', attempt: expect.objectContaining({ deliveryStatus: 'sent', providerMessageId: 'm-1' }) }),
    ]);
  });

  it('a retry that finds the send recorded in the database only settles', async () => {
    const { run, job, sends } = setup({ beginResult: { delivery: { status: 'sent', provider: 'sns-sms', attempts: 1 } } });
    await expect(run(job())).resolves.toBe('sent');
    expect(sends).toHaveLength(0);
  });

  it('a job for an ended event (or an older generation) completes without touching it', async () => {
    const { run, job, sends, settled } = setup({ beginResult: { taken: false, priorStatus: 'deliveryFailed' } });
    await expect(run(job())).resolves.toBe('deliveryFailed');
    expect(sends).toHaveLength(0);
    expect(settled).toHaveLength(0);
  });

  it('settles with the job’s generation', async () => {
    const { run, job, settled } = setup();
    await run(job({ generation: 2 }));
    expect(settled[0]).toMatchObject({ status: 'sent', generation: 2 });
  });
});

describe('delivery processor: waiting without holding a slot', () => {
  it('a hold waits as a delayed job for exactly its time, spends no attempt, and shows pending with the reason', async () => {
    const { run, job, settled, sends } = setup({ outcomes: [held] });
    const fake = job();
    await expect(run(fake)).rejects.toBeInstanceOf(DelayedError);
    expect(fake.delayedUntil).toBe(NOW + 30_000);
    expect(fake.data.attempts).toBeUndefined();
    expect(sends).toHaveLength(1);
    expect(settled).toEqual([
      {
        status: 'pending',
        reason: 'Not attempted, sns-sms is on hold (circuit open after 5 failures); waiting 30 s',
        nextAttemptAt: new Date(NOW + 30_000),
        templateVersionId: 7,
        generation: 0,
      },
    ]);
  });

  it('a hold past the retry window ends deliveryFailed, recording no attempt', async () => {
    const { run, job, settled } = setup({ outcomes: [held], retry: { sms: { windowMs: 10_000 } } });
    await expect(run(job())).resolves.toBe('deliveryFailed');
    expect(settled[0]!.reason).toMatch(/^Gave up after 0 attempt\(s\): the next one \(in 30 s\) would fall after the 10 s retry window/);
    expect(settled[0]!.attempt).toBeUndefined();
  });

  it('a throttled send waits the Retry-After as a delayed job and counts the attempt in the job', async () => {
    const { run, job, settled } = setup({ outcomes: [throttled] });
    const fake = job();
    await expect(run(fake)).rejects.toBeInstanceOf(DelayedError);
    expect(fake.delayedUntil).toBe(NOW + 1500);
    expect(fake.data.attempts).toBe(1);
    expect(settled).toEqual([
      expect.objectContaining({
        status: 'pending',
        reason: 'Attempt 1 failed (Throttling: Rate exceeded); retrying within the 1 h retry window',
        nextAttemptAt: new Date(NOW + 1500),
        attempt: expect.objectContaining({ provider: 'sns-sms', deliveryStatus: 'pending' }),
      }),
    ]);
  });

  it('a scheduled job taken early waits for its time without a database statement', async () => {
    const { run, job, settled, sends } = setup();
    const fake = job({ event: { type: 'OTP', mobilePhone: '+46701234567', scheduled: new Date(NOW + HOUR).toISOString() } });
    await expect(run(fake)).rejects.toBeInstanceOf(DelayedError);
    expect(fake.delayedUntil).toBe(NOW + HOUR);
    expect(settled).toHaveLength(0);
    expect(sends).toHaveLength(0);
  });
});

describe('delivery processor: retries bounded by time', () => {
  it('retries the sixth failure too: no attempt cap by default', async () => {
    const { run, job } = setup({ outcomes: [unwell] });
    const fake = job({ attempts: 5 });
    await expect(run(fake)).rejects.toBeInstanceOf(DelayedError);
    expect(fake.data.attempts).toBe(6);
  });

  it("stops at the channel's DELIVERY_ATTEMPTS cap when one is set", async () => {
    const { run, job, settled } = setup({ outcomes: [unwell], retry: { sms: { windowMs: HOUR, maxAttempts: 2 } } });
    await expect(run(job({ attempts: 1 }))).resolves.toBe('deliveryFailed');
    expect(settled.at(-1)).toMatchObject({
      status: 'deliveryFailed',
      reason: 'Gave up after 2 attempt(s); last error from sns-sms: InternalError: down',
      attempt: { deliveryStatus: 'failed' },
    });
  });

  it('says the cap in the retry reason when one is set', async () => {
    const { run, job, settled } = setup({ outcomes: [unwell], retry: { sms: { windowMs: HOUR, maxAttempts: 4 } } });
    await expect(run(job())).rejects.toBeInstanceOf(DelayedError);
    expect(settled[0]!.reason).toBe('Attempt 1 of 4 failed (InternalError: down); retrying');
  });

  it('ends deliveryFailed once the window has passed', async () => {
    const { run, job, settled } = setup({ outcomes: [unwell] });
    await expect(run(job({ attempts: 30 }, HOUR + 1))).resolves.toBe('deliveryFailed');
    expect(settled[0]!.reason).toBe('Gave up after 31 attempt(s): the 1 h retry window has ended; last error from sns-sms: InternalError: down');
  });

  it('a re-drive restarts the window', async () => {
    const { run, job } = setup({ outcomes: [unwell] });
    const fake = job({ generation: 1, redrivenAt: new Date(NOW - 1000).toISOString() }, 10 * HOUR);
    await expect(run(fake)).rejects.toBeInstanceOf(DelayedError);
  });

  it('ends tooOld when the event expires before the next attempt', async () => {
    const { run, job, settled } = setup({ outcomes: [throttled] });
    const fake = job({ event: { type: 'OTP', mobilePhone: '+46701234567', expiration: new Date(NOW + 1000).toISOString() } });
    await expect(run(fake)).resolves.toBe('tooOld');
    expect(settled[0]!.reason).toMatch(/^Expires at .* before the next attempt \(in 2 s\) could be made; last error from sns-sms/);
  });
});

describe('delivery processor: faults', () => {
  it('a render error or render limit ends deliveryFailed at once with the template’s reason', async () => {
    const { run, job, settled, sends } = setup({
      render: async () => {
        throw new TemplateError('text', 'text: render limit exceeded (500 ms)');
      },
    });
    const fake = job();
    await expect(run(fake)).resolves.toBe('deliveryFailed');
    expect(sends).toHaveLength(0);
    expect(fake.writes).toHaveLength(0);
    expect(settled).toEqual([
      expect.objectContaining({ status: 'deliveryFailed', reason: 'Template fault (version 3): text: render limit exceeded (500 ms)' }),
    ]);
  });

  it('a database error is ridden out as a delayed job with backoff, spending no attempt', async () => {
    const { run, job, sends } = setup({ settleFails: [true, true, true] });
    const fake = job({}, 0);
    for (let faults = 1; faults <= 3; faults++) {
      await expect(run(fake)).rejects.toBeInstanceOf(DelayedError);
      expect(fake.data.faults).toBe(faults);
      expect(fake.delayedUntil! - NOW).toBeGreaterThanOrEqual(500 * 2 ** (faults - 1));
    }
    // Sent once on the first run; the later runs only tried to record it.
    expect(sends).toHaveLength(1);
    await expect(run(fake)).resolves.toBe('sent');
  });

  it('past the window an unexpected error ends the event (sent when the job recorded a send) and fails the job', async () => {
    const { run, job, endedJobs } = setup({ settleFails: [true] });
    const fake = job({ sent: { provider: 'sns-sms', providerMessageId: 'm-9', at: new Date(NOW - 1000).toISOString() } }, 2 * HOUR);
    const error = await run(fake).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(endedJobs).toEqual([
      expect.objectContaining({ status: 'sent', reason: null, attempt: expect.objectContaining({ providerMessageId: 'm-9' }) }),
    ]);
  });

  it('suppresses an invalid address and ends deliveryFailed without retry', async () => {
    const { run, job, settled, suppressed } = setup({ outcomes: [{ kind: 'address-invalid', provider: 'sns-sms', error: 'OptedOut: the number opted out' }] });
    await expect(run(job())).resolves.toBe('deliveryFailed');
    expect(suppressed).toEqual([{ channel: 'sms', address: '+46701234567', reason: 'OptedOut: the number opted out', source: 'sns-sms' }]);
    expect(settled.at(-1)!.reason).toBe('The address is invalid and is now suppressed: OptedOut: the number opted out');
  });
});
