/**
 * The `webhooks` queue's processor: delivers one webhook message (an outbox row) to its
 * endpoint, signed per Standard Webhooks, and records each attempt in the delivery log.
 *
 * - Only a 2xx is success. A 410 disables the endpoint (the receiver says it is gone). An
 *   endpoint whose deliveries have failed without a success for `disableAfterMs` (5 days) is
 *   disabled too.
 * - Other failures retry on the schedule (WEBHOOK_RETRY_SCHEDULE) with ±20 % jitter, or after
 *   the receiver's Retry-After when that is longer; the job carries BullMQ attempts
 *   `schedule.length + 1`, and the wait is handed to BullMQ through the error (see
 *   `webhookBackoff`). Every attempt carries the same `webhook-id`.
 * - No per-endpoint ordering: messages go out concurrently and retries overtake nothing in
 *   particular; receivers order by `data.time` (and dedupe on `webhook-id`).
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { SecretBoxError, type SecretBox } from '@mc/core';
import { isWebhookJob } from '@mc/contracts';
import type { WebhooksRepository } from '@mc/db';
import type { Logger } from '@mc/observability';
import { signWebhook, webhookMessageId } from './webhook-signature';
import type { WebhookPoster } from './webhook-sender';

/** A failed attempt that will be retried after `delayMs` (read by `webhookBackoff`). */
export class WebhookRetryError extends Error {
  override readonly name = 'WebhookRetryError';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** The wait before retry n (1-based): the schedule's entry ±20 %, or Retry-After when longer. */
export function webhookRetryDelay(schedule: readonly number[], n: number, retryAfterMs?: number, random = Math.random): number {
  const base = schedule[Math.min(n, schedule.length) - 1] ?? 0;
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** BullMQ's backoffStrategy for the webhooks worker: the delay the processor chose. */
export function webhookBackoff(schedule: readonly number[]) {
  return (attemptsMade: number, _type?: string, error?: Error): number =>
    error instanceof WebhookRetryError ? error.delayMs : webhookRetryDelay(schedule, attemptsMade);
}

export interface WebhookProcessorDeps {
  webhooks: Pick<WebhooksRepository, 'loadForDelivery' | 'recordAttempt' | 'failMessage' | 'disableEndpoint'>;
  /** Opens stored secrets; undefined when no SECRETS_KEY is configured. */
  secretBox: SecretBox | undefined;
  post: WebhookPoster;
  schedule: readonly number[];
  disableAfterMs: number;
  logger: Logger;
  now?: () => number;
}

export type WebhookOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

export function createWebhookProcessor(deps: WebhookProcessorDeps) {
  const now = deps.now ?? Date.now;
  return async (job: Job): Promise<WebhookOutcome> => {
    if (!isWebhookJob(job.data)) throw new UnrecoverableError('not a webhook job');
    const id = BigInt(job.data.messageId);
    const found = await deps.webhooks.loadForDelivery(id);
    // Gone (endpoint deleted, purged) or already done (a duplicate job): nothing to send.
    if (!found || found.message.status !== 'pending') return 'skipped';
    const { message, endpoint } = found;
    const log = deps.logger.child({ webhookMessage: id.toString(), endpoint: endpoint.id, jobId: job.id });
    if (!endpoint.enabled) {
      await deps.webhooks.failMessage(id, `The endpoint is disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`);
      return 'failed';
    }
    if (!deps.secretBox) {
      await deps.webhooks.failMessage(id, 'SECRETS_KEY is not set: the endpoint secret cannot be read');
      return 'failed';
    }
    const at = new Date(now());
    const secrets: string[] = [];
    try {
      secrets.push(deps.secretBox.open(endpoint.secret));
      if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > at.getTime()) {
        secrets.push(deps.secretBox.open(endpoint.previousSecret));
      }
    } catch (error) {
      // Retrying cannot help (SECRETS_KEY changed): end it with the reason, rotate the secret to recover.
      if (!(error instanceof SecretBoxError)) throw error;
      await deps.webhooks.failMessage(id, `The endpoint secret cannot be read: ${error.message}; rotate the secret`);
      log.error({ err: error }, 'webhook secret cannot be opened');
      return 'failed';
    }
    const body = JSON.stringify(message.payload);
    const headers = signWebhook(secrets, webhookMessageId(id), at, body);
    const result = await deps.post(endpoint.url, body, { ...headers });

    const delivered = result.status !== undefined && result.status >= 200 && result.status < 300;
    const responseCode = result.status ?? null;
    if (delivered) {
      await deps.webhooks.recordAttempt(message, { delivered: true, final: true, responseCode, error: null });
      return 'delivered';
    }
    const error = result.error ?? `HTTP ${result.status}`;
    const gone = result.status === 410;
    const attemptNumber = job.attemptsMade + 1;
    const lastAttempt = attemptNumber >= (job.opts.attempts ?? 1);
    const final = gone || result.refused === true || lastAttempt;
    const delayMs = final ? 0 : webhookRetryDelay(deps.schedule, attemptNumber, result.retryAfterMs);
    const { failingSince } = await deps.webhooks.recordAttempt(message, {
      delivered: false,
      final,
      responseCode,
      error,
      nextAttemptAt: final ? null : new Date(at.getTime() + delayMs),
    });
    if (gone) {
      await deps.webhooks.disableEndpoint(endpoint.id, 'The receiver answered 410 Gone');
      log.warn('webhook endpoint disabled: 410 Gone');
    } else if (failingSince && at.getTime() - failingSince.getTime() >= deps.disableAfterMs) {
      await deps.webhooks.disableEndpoint(endpoint.id, `Deliveries failed since ${failingSince.toISOString()} without a success`);
      log.warn({ failingSince }, 'webhook endpoint disabled: failing for too long');
    }
    if (final) {
      log.warn({ error, attempts: attemptNumber }, 'webhook message failed for good');
      throw new UnrecoverableError(error);
    }
    throw new WebhookRetryError(error, delayMs);
  };
}
