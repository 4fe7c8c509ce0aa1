import type { Job } from 'bullmq';
import type { Channel } from '@mc/core';
import type { Provider, SendOutcome } from '@mc/channels';
import type { EventsRepository, SuppressionsRepository } from '@mc/db';
import type { Logger } from '@mc/observability';
import { createDeliveryProcessor, type DeliveryDeps } from './delivery.processor';
import { RetryLaterError, type RetryLimits } from './retry-policy';
import type { TemplateRoutes } from './template-routes';

const NOW = Date.parse('2026-03-01T12:00:00Z');

interface Settled {
  status: string;
  reason?: string;
  nextAttemptAt?: Date;
  attempt?: { provider: string; deliveryStatus: string };
}

/** The processor with in-memory fakes around it: one SMS template, a scripted provider. */
function setup(outcomes: SendOutcome[], retry?: Partial<Record<Channel, RetryLimits>>) {
  const settled: Settled[] = [];
  const suppressed: { channel: string; address: string; reason: string; source?: string }[] = [];
  const provider: Provider<unknown> = {
    name: 'sns-sms',
    channel: 'sms',
    send: async () => outcomes.shift() ?? { kind: 'sent', provider: 'sns-sms', providerMessageId: 'm-1' },
    close: async () => undefined,
  };
  const logger = { child: () => logger, info: () => undefined, debug: () => undefined, error: () => undefined, warn: () => undefined } as unknown as Logger;
  const deps: DeliveryDeps = {
    eventTypes: { find: async () => ({ id: 1, maxAgeSeconds: null }) },
    events: {
      begin: async () => ({ delivery: undefined, suppressedReason: undefined }),
      settle: async (_id: bigint, outcome: Settled) => void settled.push(outcome),
    } as unknown as EventsRepository,
    suppressions: {
      upsert: async (entry: (typeof suppressed)[number]) => void suppressed.push(entry),
    } as unknown as SuppressionsRepository,
    routes: {
      resolve: async () => ({ paused: false, version: { id: 7 }, renderer: { render: async () => ({ text: 'Your code is 1234' }) } }),
      invalidate: () => undefined,
    } as unknown as TemplateRoutes,
    providers: { email: provider as never, sms: provider as never },
    mailFrom: 'mc@example.test',
    retryBaseDelayMs: 1000,
    ...(retry ? { retry } : {}),
    logger,
    now: () => NOW,
  };
  const process = createDeliveryProcessor(deps);
  const job = (attemptsMade: number, acceptedAgoMs = 1000, attempts = 5) =>
    ({
      id: 'ev-1',
      attemptsMade,
      opts: { attempts },
      data: {
        v: 1,
        id: '1',
        lane: 'realtime',
        acceptedAt: new Date(NOW - acceptedAgoMs).toISOString(),
        channel: 'sms',
        event: { type: 'OTP', mobilePhone: '+46701234567' },
      },
    }) as unknown as Job;
  return { process, job, settled, suppressed };
}

const throttled: SendOutcome = { kind: 'rate-limited', provider: 'sns-sms', error: 'Throttling: Rate exceeded', retryAfterMs: 1500 };
const unwell: SendOutcome = { kind: 'transient', provider: 'sns-sms', error: 'InternalError: down' };

describe('delivery processor: retries and suppression', () => {
  it('parks a throttled event as pending with the next attempt time, honouring Retry-After', async () => {
    const { process, job, settled } = setup([throttled]);
    const error = await process(job(0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).delayMs).toBe(1500);
    expect(settled).toEqual([
      expect.objectContaining({
        status: 'pending',
        reason: 'Attempt 1 of 5 failed (Throttling: Rate exceeded); retrying',
        nextAttemptAt: new Date(NOW + 1500),
        attempt: expect.objectContaining({ provider: 'sns-sms', deliveryStatus: 'pending' }),
      }),
    ]);
  });

  it("stops at the channel's attempts even when the job allows more", async () => {
    const { process, job, settled } = setup([unwell], { sms: { attempts: 2 } });
    await expect(process(job(1))).resolves.toBe('deliveryFailed');
    expect(settled.at(-1)).toMatchObject({
      status: 'deliveryFailed',
      reason: 'Gave up after 2 attempt(s); last error from sns-sms: InternalError: down',
      attempt: { deliveryStatus: 'failed' },
    });
  });

  it("only the event's channel's limits apply", async () => {
    const { process, job } = setup([unwell], { email: { attempts: 1 }, push: { windowMs: 1 } });
    await expect(process(job(1))).rejects.toBeInstanceOf(RetryLaterError);
  });

  it('gives up when the next attempt would fall after the retry window', async () => {
    // Accepted 59 s ago with a 60 s window: a 1.5 s Retry-After lands outside it.
    const { process, job, settled } = setup([throttled], { sms: { windowMs: 60_000 } });
    await expect(process(job(0, 59_000))).resolves.toBe('deliveryFailed');
    expect(settled.at(-1)!.reason).toBe(
      'Gave up after 1 attempt(s): the next one (in 2 s) would fall after the 60 s retry window; last error from sns-sms: Throttling: Rate exceeded',
    );
    // Inside the window the same answer is retried.
    const inside = setup([throttled], { sms: { windowMs: 60_000 } });
    await expect(inside.process(inside.job(0, 10_000))).rejects.toBeInstanceOf(RetryLaterError);
  });

  it('suppresses an invalid address and ends deliveryFailed without retry', async () => {
    const { process, job, settled, suppressed } = setup([{ kind: 'address-invalid', provider: 'sns-sms', error: 'OptedOut: the number opted out' }]);
    await expect(process(job(0))).resolves.toBe('deliveryFailed');
    expect(suppressed).toEqual([{ channel: 'sms', address: '+46701234567', reason: 'OptedOut: the number opted out', source: 'sns-sms' }]);
    expect(settled.at(-1)!.reason).toBe('The address is invalid and is now suppressed: OptedOut: the number opted out');
  });
});
