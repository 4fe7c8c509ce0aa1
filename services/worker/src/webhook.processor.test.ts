import { UnrecoverableError } from 'bullmq';
import { createSecretBox } from '@mc/core';
import { createWebhookProcessor, webhookBackoff, webhookRetryDelay, WebhookRetryError } from './webhook.processor';

const schedule = [5000, 300_000, 1_800_000];

it('follows the schedule with ±20 % jitter', () => {
  expect(webhookRetryDelay(schedule, 1, undefined, () => 0)).toBe(4000);
  expect(webhookRetryDelay(schedule, 1, undefined, () => 0.5)).toBe(5000);
  expect(webhookRetryDelay(schedule, 2, undefined, () => 1)).toBe(360_000);
  expect(webhookRetryDelay(schedule, 3, undefined, () => 0.5)).toBe(1_800_000);
});

it('waits as long as Retry-After asks when that is longer than the schedule', () => {
  expect(webhookRetryDelay(schedule, 1, 60_000, () => 0.5)).toBe(60_000);
  expect(webhookRetryDelay(schedule, 2, 1000, () => 0.5)).toBe(300_000);
});

it('hands BullMQ the delay the processor chose, else the schedule', () => {
  const backoff = webhookBackoff(schedule);
  expect(backoff(1, 'webhook', new WebhookRetryError('HTTP 500', 1234))).toBe(1234);
  const fallback = backoff(2, 'webhook', new Error('database down'));
  expect(fallback).toBeGreaterThanOrEqual(240_000);
  expect(fallback).toBeLessThanOrEqual(360_000);
});

describe('createWebhookProcessor', () => {
  const box = createSecretBox(Buffer.alloc(32, 3));
  const DAY = 86_400_000;
  const logger = { child: () => logger, warn: () => undefined, error: () => undefined } as never;

  /** An in-memory stand-in for the repository, recording what the processor asked of it. */
  function setup(endpointOverrides: Record<string, unknown> = {}, answer: { status?: number; error?: string } = { status: 500, error: 'HTTP 500' }) {
    const state = {
      endpoint: { id: 1, url: 'https://hooks.example.com/x', enabled: true, disabledReason: null as string | null, secret: box.seal(`whsec_${Buffer.alloc(32, 9).toString('base64')}`), previousSecret: null, previousSecretExpiresAt: null, failingSince: null as Date | null, ...endpointOverrides },
      message: { id: 7n, endpointId: 1, status: 'pending', payload: { type: 'event.sent' } },
      attempts: [] as unknown[],
      failed: [] as string[],
      posted: [] as Record<string, string>[],
    };
    const now = Date.now();
    const processor = createWebhookProcessor({
      webhooks: {
        loadForDelivery: async () => ({ message: state.message, endpoint: state.endpoint }) as never,
        recordAttempt: async (_m, result) => {
          state.attempts.push(result);
          if (!result.delivered) state.endpoint.failingSince ??= new Date(now);
          return { failingSince: result.delivered ? null : state.endpoint.failingSince };
        },
        failMessage: async (_id, error) => void state.failed.push(error),
        disableEndpoint: async (_id, reason) => {
          state.endpoint.enabled = false;
          state.endpoint.disabledReason = reason;
        },
      },
      secretBox: box,
      post: async (_url, _body, headers) => {
        state.posted.push(headers);
        return answer;
      },
      schedule: [1000, 1000],
      disableAfterMs: 5 * DAY,
      logger,
      now: () => now,
    });
    const job = (attemptsMade: number) => ({ id: 'wh-7', data: { v: 1, messageId: '7' }, attemptsMade, opts: { attempts: 3 } }) as never;
    return { state, processor, job };
  }

  it('retries a failure with the schedule, and gives up on the last attempt', async () => {
    const { state, processor, job } = setup();
    await expect(processor(job(0))).rejects.toBeInstanceOf(WebhookRetryError);
    await expect(processor(job(2))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(state.attempts).toEqual([
      expect.objectContaining({ final: false, responseCode: 500, nextAttemptAt: expect.any(Date) }),
      expect.objectContaining({ final: true, responseCode: 500, nextAttemptAt: null }),
    ]);
    expect(new Set(state.posted.map((h) => h['webhook-id']))).toEqual(new Set(['msg_7']));
    expect(state.endpoint.enabled).toBe(true);
  });

  it('disables an endpoint that has failed for 5 days without a success', async () => {
    const { state, processor, job } = setup({ failingSince: new Date(Date.now() - 5 * DAY - 1000) });
    await expect(processor(job(0))).rejects.toBeInstanceOf(WebhookRetryError);
    expect(state.endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/failed since/) });
  });

  it('on a 410 disables the endpoint and does not retry', async () => {
    const { state, processor, job } = setup({}, { status: 410, error: 'HTTP 410' });
    await expect(processor(job(0))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(state.endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
  });

  it('sends nothing to a disabled endpoint, or with a secret it cannot open', async () => {
    const disabled = setup({ enabled: false, disabledReason: 'Disabled by an operator' });
    expect(await disabled.processor(disabled.job(0))).toBe('failed');
    expect(disabled.state.posted).toEqual([]);
    expect(disabled.state.failed).toEqual(['The endpoint is disabled: Disabled by an operator']);
    const unreadable = setup({ secret: createSecretBox(Buffer.alloc(32, 4)).seal('whsec_x') });
    expect(await unreadable.processor(unreadable.job(0))).toBe('failed');
    expect(unreadable.state.posted).toEqual([]);
    expect(unreadable.state.failed[0]).toMatch(/cannot be read/);
  });

  it('a 2xx delivers', async () => {
    const { state, processor, job } = setup({}, { status: 200 });
    expect(await processor(job(0))).toBe('delivered');
    expect(state.attempts).toEqual([expect.objectContaining({ delivered: true, responseCode: 200 })]);
  });
});
