import { webhookBackoff, webhookRetryDelay, WebhookRetryError } from './webhook.processor';

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
