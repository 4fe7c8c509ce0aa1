/**
 * The life of one event in the worker: take it, check it is still wanted, find the published
 * template, check the address, render, send, and record the outcome. Every path ends in a
 * status with a reason a person can act on; only transient failures are retried.
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
import { isEventJob, type EventJob } from '@mc/contracts';
import { suppressionAddress, type EventsRepository, type SuppressionsRepository, type AttemptEntry } from '@mc/db';
import type { EmailMessage, Provider, PushMessage, SendOutcome, SmsMessage } from '@mc/channels';
import type { Logger, WorkerMetrics } from '@mc/observability';
import type { TemplateRoutes } from './template-routes';
import { decideRetry, RetryLaterError, type RetryLimits } from './retry-policy';

/** How often events of a paused template look again whether it was resumed. */
export const PAUSED_RECHECK_MS = 5_000;

export interface DeliveryDeps {
  eventTypes: { find(key: string): Promise<{ id: number; maxAgeSeconds: number | null } | undefined> };
  events: EventsRepository;
  suppressions: SuppressionsRepository;
  routes: TemplateRoutes;
  providers: {
    email: Provider<EmailMessage>;
    sms?: Provider<SmsMessage>;
    push?: Provider<PushMessage>;
  };
  mailFrom: string;
  retryBaseDelayMs: number;
  /** Per channel attempts and retry window; the job's own attempts when absent. */
  retry?: Partial<Record<Channel, RetryLimits>>;
  metrics?: WorkerMetrics;
  logger: Logger;
  now?: () => number;
}

type Target =
  | { channel: 'email'; address: string }
  | { channel: 'sms'; address: string }
  | { channel: 'push'; address: string; push: PushMessage['target'] };

export function createDeliveryProcessor(deps: DeliveryDeps) {
  const now = deps.now ?? Date.now;

  /** Unexpected errors (a database outage, a bug) are retried like transient ones; when the
   * last attempt fails too, the event still ends with a status and the reason. */
  return async function deliverGuarded(job: Job, token?: string): Promise<EventStatus> {
    try {
      return await deliver(job, token);
    } catch (error) {
      const expected = error instanceof DelayedError || error instanceof RetryLaterError || error instanceof UnrecoverableError;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const id = isEventJob(job.data) ? parseEventId(job.data.id) : undefined;
      if (!expected && lastAttempt && id !== undefined) {
        const reason = `Internal error after ${job.opts.attempts ?? 1} attempt(s): ${(error as Error).message}`;
        await deps.events.settle(id, { status: 'deliveryFailed', reason }).catch((recordError) =>
          deps.logger.error({ err: recordError, eventId: String(id) }, 'could not record the failure'),
        );
      }
      throw error;
    }
  };

  async function deliver(job: Job, token?: string): Promise<EventStatus> {
    if (!isEventJob(job.data)) {
      // A payload we cannot read cannot be recorded either: fail it visibly on the dashboard.
      deps.logger.error({ jobId: job.id }, 'job payload is not an event job of a known version');
      throw new UnrecoverableError('Unreadable job payload (unknown version or shape)');
    }
    const data: EventJob = job.data;
    const id = parseEventId(data.id);
    if (id === undefined) throw new UnrecoverableError(`Bad event id "${data.id}"`);
    const event = data.event;
    const log = deps.logger.child({ eventId: data.id, type: event.type });

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
    const { delivery, suppressedReason } = await deps.events.begin({
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
      ...(typeof target === 'string' ? {} : { suppressionAddress: suppressionAddress(target.channel, target.address) }),
    });

    const finish = async (status: EventStatus, reason?: string, extra: Parameters<EventsRepository['settle']>[1] = { status }) => {
      await deps.events.settle(id, { ...extra, status, reason });
      deps.metrics?.eventsFinished.inc({ status });
      if (status !== 'sent') log.info({ status, reason }, 'event ended without a send');
      return status;
    };

    // A retried job whose earlier attempt did send must not send twice.
    if (delivery?.status === 'sent') return finish('sent', undefined, { status: 'sent' });

    if (expiresAt && now() > expiresAt.getTime()) {
      return finish('tooOld', `Expired at ${expiresAt.toISOString()} before it could be sent`);
    }

    const route = await deps.routes.resolve(type.id, data.channel, localeCandidates(event.locale));
    if (!route) {
      return finish(
        'routingFailed',
        `No published ${data.channel} template for event type ${event.type}${event.locale ? ` (locale ${event.locale})` : ''}`,
      );
    }
    if (route.paused) {
      const until = new Date(now() + PAUSED_RECHECK_MS);
      await deps.events.settle(id, { status: 'pending', reason: 'The template is paused; waiting for resume', nextAttemptAt: until });
      await job.moveToDelayed(until.getTime(), token);
      throw new DelayedError();
    }

    if (typeof target === 'string') return finish('targetingFailed', target);
    const provider = deps.providers[target.channel];
    if (!provider) return finish('deliveryFailed', `No ${target.channel} provider is configured`);

    if (suppressedReason !== undefined) return finish('ignored', `The address is suppressed (quarantine): ${suppressedReason}`);

    const scope = {
      ctx: event.ctx ?? {},
      email: event.email,
      mobilePhone: event.mobilePhone,
      externalId: event.externalId,
      origin: event.origin,
      locale: event.locale,
      type: event.type,
      eventId: data.id,
    };
    const rendered = await route.renderer.render(scope as never);
    if (rendered.missingVariables?.length) {
      log.info({ missing: rendered.missingVariables }, 'template variables missing in the event; rendered empty');
    }

    const started = process.hrtime.bigint();
    const outcome = await sendRendered(target, rendered as never, provider as never, deps.mailFrom);
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
    const templateVersionId = route.version.id;

    switch (outcome.kind) {
      case 'sent':
        return finish('sent', undefined, { status: 'sent', templateVersionId, attempt: attempt('sent') });
      case 'permanent':
        return finish('deliveryFailed', `Refused by ${outcome.provider}: ${outcome.error}`, {
          status: 'deliveryFailed',
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
          status: 'deliveryFailed',
          templateVersionId,
          attempt: attempt('failed'),
        });
      case 'held':
      case 'transient':
      case 'rate-limited': {
        const decision = decideRetry({
          attempt: job.attemptsMade + 1,
          jobAttempts: job.opts.attempts ?? 1,
          limits: deps.retry?.[target.channel],
          baseDelayMs: deps.retryBaseDelayMs,
          retryAfterMs: outcome.retryAfterMs,
          windowStart: Math.max(acceptedAt.getTime(), event.scheduled ? Date.parse(event.scheduled) : 0),
          now: now(),
        });
        if (!decision.retry) {
          return finish('deliveryFailed', `${decision.reason}; last error from ${outcome.provider}: ${outcome.error}`, {
            status: 'deliveryFailed',
            templateVersionId,
            attempt: attempt('failed'),
          });
        }
        const { delayMs, attemptsAllowed } = decision;
        await deps.events.settle(id, {
          status: 'pending',
          reason: `Attempt ${job.attemptsMade + 1} of ${attemptsAllowed} failed (${outcome.error}); retrying`,
          nextAttemptAt: new Date(now() + delayMs),
          templateVersionId,
          attempt: attempt('pending'),
        });
        throw new RetryLaterError(outcome.error, delayMs);
      }
    }
  };
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
