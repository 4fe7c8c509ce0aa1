/**
 * The life of one event in the worker: take it, check it is still wanted, find the published
 * template, check the address, render, send, and record the outcome. Every path ends in a
 * status with a reason a person can act on, or waits as a delayed job — never in a slot.
 *
 * The delivery contract, as this file keeps it:
 * - Send once. The moment a provider accepts a message the fact is written into the job's own
 *   data (one Redis round trip) and, at the same time, into the database. A retry of the job
 *   that finds either record only settles the event; it never sends again. The one duplicate
 *   window left is a crash between the provider's acceptance and the first of those two writes
 *   to land: at most one Redis round trip after the SMTP/HTTP reply.
 * - Never hold a slot waiting. A hold (rate limit, Retry-After, open circuit), a retry, a
 *   paused template, a schedule and an unexpected error (database down) all park the job with
 *   `moveToDelayed` + DelayedError: no BullMQ attempt is spent, the event shows `pending` with
 *   the reason and the next attempt time where the database can be written.
 * - Time bounds retries (retry-policy.ts); a template fault is permanent at once.
 * - A job for an ended event, or for an older generation of a re-driven one, completes
 *   without touching it (`begin` refuses to take it).
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import {
  isValidEmail,
  isValidPhone,
  localeCandidates,
  normalizePhone,
  parseEventId,
  type Channel,
  type EventStatus,
} from '@mc/core';
import { eventRenderScope, isEventJob, type EventJob } from '@mc/contracts';
import { suppressionAddress, type EventsRepository, type SuppressionsRepository, type AttemptEntry, type SettleOutcome } from '@mc/db';
import type { EmailMessage, Provider, PushMessage, SendOutcome, SmsMessage } from '@mc/channels';
import { TemplateError } from '@mc/render';
import type { Logger, WorkerMetrics } from '@mc/observability';
import type { TemplateRoutes } from './template-routes';
import { decideRetry, formatDuration, type RetryCause, type RetryLimits } from './retry-policy';
import { endJob, sentAttempt } from './job-endings';

/** How often events of a paused template look again whether it was resumed. */
export const PAUSED_RECHECK_MS = 5_000;

/** @defaultValue 15 min, as RETRY_MAX_DELAY_MS. */
const DEFAULT_MAX_DELAY_MS = 900_000;

export interface DeliveryDeps {
  eventTypes: { find(key: string): Promise<{ id: number; maxAgeSeconds: number | null } | undefined> };
  events: Pick<EventsRepository, 'begin' | 'settle' | 'settleJob'>;
  suppressions: SuppressionsRepository;
  routes: TemplateRoutes;
  providers: {
    email: Provider<EmailMessage>;
    sms?: Provider<SmsMessage>;
    push?: Provider<PushMessage>;
  };
  mailFrom: string;
  retryBaseDelayMs: number;
  /** Longest backoff between two attempts. @defaultValue 900000 */
  retryMaxDelayMs?: number;
  /** Per channel retry window (the bound) and optional attempt cap. */
  retry: Readonly<Record<Channel, RetryLimits>>;
  metrics?: WorkerMetrics;
  logger: Logger;
  now?: () => number;
}

type Target =
  | { channel: 'email'; address: string }
  | { channel: 'sms'; address: string }
  | { channel: 'push'; address: string; push: PushMessage['target'] };

const isDeferral = (error: unknown) =>
  error instanceof DelayedError || (error as Error | undefined)?.name === 'DelayedError';
const isUnrecoverable = (error: unknown) =>
  error instanceof UnrecoverableError || (error as Error | undefined)?.name === 'UnrecoverableError';

export function createDeliveryProcessor(deps: DeliveryDeps) {
  const now = deps.now ?? Date.now;
  const maxDelayMs = deps.retryMaxDelayMs ?? DEFAULT_MAX_DELAY_MS;

  /** When the retry window opened: acceptance, its scheduled time, or its re-drive. */
  const windowStart = (data: EventJob) =>
    Math.max(
      Date.parse(data.acceptedAt),
      data.event.scheduled ? Date.parse(data.event.scheduled) : 0,
      data.redrivenAt ? Date.parse(data.redrivenAt) : 0,
    );

  /** Waits as a delayed job: no slot held, no BullMQ attempt spent. */
  async function delay(job: Job, token: string | undefined, until: number): Promise<never> {
    await job.moveToDelayed(until, token);
    throw new DelayedError();
  }

  /**
   * Unexpected errors (a database outage, a bug) are ridden out like an outage: backoff on
   * their own count, inside the channel's retry window, as delayed jobs. Past the window the
   * event ends with the reason (or `sent`, when the job's data recorded a send).
   */
  async function rideOut(job: Job, token: string | undefined, error: Error): Promise<never> {
    const data = job.data as EventJob;
    const faults = (data.faults ?? 0) + 1;
    const log = deps.logger.child({ eventId: data.id, jobId: job.id });
    const decision = decideRetry({
      cause: 'fault',
      attempts: data.attempts ?? 0,
      faults,
      limits: deps.retry[data.channel],
      baseDelayMs: deps.retryBaseDelayMs,
      maxDelayMs,
      windowStart: windowStart(data),
      now: now(),
    });
    if (decision.retry) {
      log.warn({ err: error, faults, delayMs: decision.delayMs }, 'unexpected error; the job waits and tries again');
      await job.updateData({ ...data, faults });
      return delay(job, token, now() + decision.delayMs);
    }
    const reason = `${decision.reason}; last internal error: ${error.message}`;
    log.error({ err: error, faults }, 'unexpected errors until the retry window ended; ending the event');
    await endJob(deps.events, data, reason).catch((recordError) =>
      log.error({ err: recordError }, 'could not record the end of the event; the sweeper will'),
    );
    throw new UnrecoverableError(reason);
  }

  return async function processDelivery(job: Job, token?: string): Promise<EventStatus> {
    if (!isEventJob(job.data)) {
      // A payload we cannot read cannot be recorded either: fail it visibly on the dashboard.
      deps.logger.error({ jobId: job.id }, 'job payload is not an event job of a known version');
      throw new UnrecoverableError('Unreadable job payload (unknown version or shape)');
    }
    try {
      return await deliver(job, token);
    } catch (error) {
      if (isDeferral(error) || isUnrecoverable(error)) throw error;
      return rideOut(job, token, error as Error);
    }
  };

  async function deliver(job: Job, token: string | undefined): Promise<EventStatus> {
    const data: EventJob = job.data;
    const id = parseEventId(data.id);
    if (id === undefined) throw new UnrecoverableError(`Bad event id "${data.id}"`);
    const generation = data.generation ?? 0;
    const event = data.event;
    const log = deps.logger.child({ eventId: data.id, type: event.type });

    // Promoted early (or a re-drive of a scheduled event): wait for its time, touching nothing.
    const scheduledAt = event.scheduled ? Date.parse(event.scheduled) : undefined;
    if (scheduledAt !== undefined && scheduledAt > now()) return delay(job, token, scheduledAt);

    const type = await deps.eventTypes.find(event.type);
    if (!type) throw new UnrecoverableError(`Event type "${event.type}" was deleted before the event was processed`);

    const acceptedAt = new Date(data.acceptedAt);
    const expiresAt = earliest(
      event.expiration ? new Date(event.expiration) : undefined,
      type.maxAgeSeconds ? new Date(acceptedAt.getTime() + type.maxAgeSeconds * 1000) : undefined,
    );
    // The address is worked out first so that taking the event also reads its suppression
    // entry: one statement instead of two on the hot path.
    const target = targetOf(data.channel, event);
    const begun = await deps.events.begin({
      id,
      eventTypeId: type.id,
      type: event.type,
      lane: data.lane,
      channel: data.channel,
      externalId: event.externalId,
      origin: event.origin,
      locale: event.locale,
      payload: event as Record<string, unknown>,
      scheduledAt: event.scheduled ? new Date(event.scheduled) : undefined,
      expiresAt,
      createdAt: acceptedAt,
      generation,
      ...(typeof target === 'string' ? {} : { suppressionAddress: suppressionAddress(target.channel, target.address) }),
    });
    if (!begun.taken) {
      // A duplicate or late job (after a crash, a lost lock) for an ended event, or an older
      // generation of a re-driven one: the event is someone else's now.
      log.info({ status: begun.priorStatus, generation }, 'job for an ended event or an older generation; nothing to do');
      return begun.priorStatus ?? 'processing';
    }
    const { delivery, suppressedReason } = begun;

    const settle = (outcome: SettleOutcome) => deps.events.settle(id, { ...outcome, generation });
    const finish = async (status: EventStatus, reason?: string, extra: Omit<SettleOutcome, 'status' | 'reason'> = {}) => {
      const applied = await settle({ ...extra, status, reason });
      if (!applied) {
        log.warn({ status, reason }, 'the event changed meanwhile; its status was left as it was');
        return status;
      }
      deps.metrics?.eventsFinished.inc({ status });
      if (status !== 'sent') log.info({ status, reason }, 'event ended without a send');
      return status;
    };

    // Send once: a send recorded in the database or in the job's data is only recorded.
    if (delivery?.status === 'sent') return finish('sent');
    if (data.sent) return finish('sent', undefined, { attempt: sentAttempt(data.channel, data.sent) });

    if (expiresAt && now() > expiresAt.getTime()) {
      return finish('tooOld', `Expired at ${expiresAt.toISOString()} before it could be sent`);
    }

    let route: Awaited<ReturnType<TemplateRoutes['resolve']>>;
    try {
      route = await deps.routes.resolve(type.id, data.channel, localeCandidates(event.locale));
    } catch (error) {
      if (error instanceof TemplateError) return finish('deliveryFailed', `Template fault: ${error.message}`);
      throw error;
    }
    if (!route) {
      return finish(
        'routingFailed',
        `No published ${data.channel} template for event type ${event.type}${event.locale ? ` (locale ${event.locale})` : ''}`,
      );
    }
    if (route.paused) {
      const until = now() + PAUSED_RECHECK_MS;
      await settle({ status: 'pending', reason: 'The template is paused; waiting for resume', nextAttemptAt: new Date(until) });
      return delay(job, token, until);
    }

    if (typeof target === 'string') return finish('targetingFailed', target);
    const provider = deps.providers[target.channel];
    if (!provider) return finish('deliveryFailed', `No ${target.channel} provider is configured`);

    if (suppressedReason !== undefined) return finish('ignored', `The address is suppressed (quarantine): ${suppressedReason}`);

    const templateVersionId = route.version.id;
    const scope = eventRenderScope(event, data.id);
    let rendered: Awaited<ReturnType<typeof route.renderer.render>>;
    try {
      rendered = await route.renderer.render(scope as never);
    } catch (error) {
      // The same template and event fail the same way every time: permanent, at once.
      if (error instanceof TemplateError) {
        return finish('deliveryFailed', `Template fault (version ${route.version.version}): ${error.message}`, { templateVersionId });
      }
      throw error;
    }
    if (rendered.missingVariables?.length) {
      log.info({ missing: rendered.missingVariables }, 'template variables missing in the event; rendered empty');
    }

    const started = process.hrtime.bigint();
    const outcome = await sendRendered(target, rendered as never, provider as never, deps.mailFrom, data.id);
    deps.metrics?.sendSeconds.observe({ channel: target.channel }, Number(process.hrtime.bigint() - started) / 1e9);
    deps.metrics?.deliveries.inc({ channel: target.channel, provider: outcome.provider, outcome: outcome.kind });

    const entry: AttemptEntry = {
      at: new Date(now()).toISOString(),
      provider: outcome.provider,
      outcome: outcome.kind,
      ...(outcome.kind === 'sent' ? {} : { error: outcome.error }),
    };
    const attempt = (deliveryStatus: 'pending' | 'sent' | 'failed') => ({
      channel: target.channel,
      provider: outcome.provider,
      deliveryStatus,
      entry,
      ...(outcome.kind === 'sent' ? { providerMessageId: outcome.providerMessageId } : { error: outcome.error }),
    });

    switch (outcome.kind) {
      case 'sent': {
        // The fact goes where a retry sees it before it could send again — the job's data and
        // the database — both at once: a retry checks both, so the send is guarded from the
        // moment the first of the two is written (never later than writing them in turn), and
        // the message waits for one round trip, not two. Either may fail; the other guards.
        const sent = { provider: outcome.provider, providerMessageId: outcome.providerMessageId, at: entry.at };
        const inJob = job.updateData({ ...data, sent }).catch((error: unknown) =>
          log.error({ err: error }, 'could not record the send in the job; only the database record guards against a resend'),
        );
        const inDatabase = finish('sent', undefined, { templateVersionId, attempt: attempt('sent') });
        // The job-data write is awaited even when the database one fails (the job then rides
        // out the fault), so the retry finds the record.
        const [, status] = await Promise.all([inJob, inDatabase.finally(() => inJob)]);
        return status;
      }
      case 'permanent':
        return finish('deliveryFailed', `Refused by ${outcome.provider}: ${outcome.error}`, {
          templateVersionId,
          attempt: attempt('failed'),
        });
      case 'address-invalid':
        await deps.suppressions.upsert({
          channel: target.channel,
          address: target.address,
          reason: outcome.error,
          source: outcome.provider,
        });
        return finish('deliveryFailed', `The address is invalid and is now suppressed: ${outcome.error}`, {
          templateVersionId,
          attempt: attempt('failed'),
        });
      case 'held':
      case 'transient':
      case 'rate-limited': {
        const cause: RetryCause = outcome.kind === 'held' ? 'held' : 'transient';
        const attempts = (data.attempts ?? 0) + (cause === 'held' ? 0 : 1);
        const limits = deps.retry[target.channel];
        const decision = decideRetry({
          cause,
          attempts,
          limits,
          baseDelayMs: deps.retryBaseDelayMs,
          maxDelayMs,
          retryAfterMs: outcome.retryAfterMs,
          windowStart: windowStart(data),
          expiresAt: expiresAt?.getTime(),
          now: now(),
        });
        if (!decision.retry) {
          return finish(decision.status, `${decision.reason}; last error from ${outcome.provider}: ${outcome.error}`, {
            templateVersionId,
            ...(cause === 'held' ? {} : { attempt: attempt('failed') }),
          });
        }
        const until = now() + decision.delayMs;
        if (cause === 'held') {
          await settle({
            status: 'pending',
            reason: `Not attempted, ${outcome.provider} is on hold (${outcome.error}); waiting ${formatDuration(decision.delayMs)}`,
            nextAttemptAt: new Date(until),
            templateVersionId,
          });
          return delay(job, token, until);
        }
        const of = limits.maxAttempts !== undefined ? ` of ${limits.maxAttempts}` : '';
        const within = limits.maxAttempts !== undefined ? '' : ` within the ${formatDuration(limits.windowMs)} retry window`;
        // The count first: should the database be down, the retry still knows it.
        await job.updateData({ ...data, attempts });
        await settle({
          status: 'pending',
          reason: `Attempt ${attempts}${of} failed (${outcome.error}); retrying${within}`,
          nextAttemptAt: new Date(until),
          templateVersionId,
          attempt: attempt('pending'),
        });
        return delay(job, token, until);
      }
    }
  }
}

/** The channel's address, or why there is none usable. */
function targetOf(channel: Channel, event: EventJob['event']): Target | string {
  switch (channel) {
    case 'email': {
      const email = event.email?.trim();
      if (!email) return 'The event has no email address';
      if (!isValidEmail(email)) return `Invalid email address "${email}"`;
      return { channel, address: email };
    }
    case 'sms': {
      if (!event.mobilePhone?.trim()) return 'The event has no mobilePhone';
      const phone = normalizePhone(event.mobilePhone);
      if (!isValidPhone(phone)) return `Invalid mobile phone number "${event.mobilePhone}" (expected E.164, e.g. +46701234567)`;
      return { channel, address: phone };
    }
    case 'push': {
      const push = event.push;
      if (!push) return 'The event has no push address';
      if ('webPush' in push) {
        return { channel, address: push.webPush.endpoint, push: { kind: 'web-push', subscription: push.webPush } };
      }
      return { channel, address: push.snsEndpointArn, push: { kind: 'sns', endpointArn: push.snsEndpointArn } };
    }
  }
}

interface RenderedEmail { subject: string; html: string; text: string; from?: string; replyTo?: string }
interface RenderedSms { text: string }
interface RenderedPush { title: string; body: string; url?: string; icon?: string; data?: Record<string, unknown> }

async function sendRendered(
  target: Target,
  rendered: RenderedEmail | RenderedSms | RenderedPush,
  provider: Provider<EmailMessage> | Provider<SmsMessage> | Provider<PushMessage>,
  mailFrom: string,
  eventId: string,
): Promise<SendOutcome> {
  switch (target.channel) {
    case 'email': {
      const email = rendered as RenderedEmail;
      return (provider as Provider<EmailMessage>).send({
        from: email.from || mailFrom,
        to: target.address,
        ...(email.replyTo ? { replyTo: email.replyTo } : {}),
        subject: email.subject,
        html: email.html,
        text: email.text,
        eventId,
      });
    }
    case 'sms':
      return (provider as Provider<SmsMessage>).send({ to: target.address, text: (rendered as RenderedSms).text });
    case 'push': {
      const push = rendered as RenderedPush;
      return (provider as Provider<PushMessage>).send({
        target: target.push,
        title: push.title,
        body: push.body,
        ...(push.url ? { url: push.url } : {}),
        ...(push.icon ? { icon: push.icon } : {}),
        ...(push.data ? { data: push.data } : {}),
      });
    }
  }
}

function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a < b ? a : b;
}
