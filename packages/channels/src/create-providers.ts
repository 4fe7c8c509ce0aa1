/**
 * Chooses and assembles each channel's provider from plain options (the worker reads its
 * configuration once and passes it here): which system to talk to, an optional secondary
 * to fail over to, and an optional shared rate limit per provider.
 */
import type { Redis } from 'ioredis';
import type { EmailMessage, Provider, PushMessage, SmsMessage } from './provider';
import { createSmtpProvider } from './smtp.provider';
import { createOutboxProvider } from './outbox.provider';
import { createSnsSmsProvider, type SnsSmsProviderOptions } from './sns-sms.provider';
import { createSnsPushProvider, type SnsPushProviderOptions } from './sns-push.provider';
import { createWebPushProvider, type WebPushProviderOptions } from './web-push.provider';
import { routePushByTarget } from './push-router.provider';
import { withFailover } from './failover.provider';
import { createRateLimiter, withRateLimit } from './rate-limiter';

export interface RateLimitOptions {
  redis: Redis;
  /**
   * Sends per second for each provider of the channel (primary and secondary alike);
   * `Infinity` for no pacing, only the shared hold after a provider's rate-limited answer.
   */
  perSecond: number;
  /** @defaultValue `mc:rate:` */
  prefix?: string;
}

export interface FailoverSettings {
  /** @defaultValue 3 */
  threshold?: number;
  /** @defaultValue 30 000 */
  coolDownMs?: number;
}

export interface EmailProviderOptions {
  /** SMTP connection URL; when absent, mail goes to the dev outbox in `outboxDir`. */
  smtpUrl?: string;
  /** Secondary SMTP relay, used while the primary keeps failing transiently. */
  secondarySmtpUrl?: string;
  outboxDir?: string;
  failover?: FailoverSettings;
  rateLimit?: RateLimitOptions;
}

export interface SmsProviderOptions {
  /** SNS settings; when absent there is no SMS provider. */
  sns?: SnsSmsProviderOptions;
  /** A second SNS setup (typically another region) to fail over to. */
  secondarySns?: SnsSmsProviderOptions;
  failover?: FailoverSettings;
  rateLimit?: RateLimitOptions;
}

export interface PushProviderOptions {
  webPush?: WebPushProviderOptions;
  sns?: SnsPushProviderOptions;
  rateLimit?: RateLimitOptions;
}

export function createEmailProvider(options: EmailProviderOptions): Provider<EmailMessage> {
  if (!options.smtpUrl) {
    if (!options.outboxDir) throw new Error('email needs an SMTP URL or an outbox directory');
    return limited(createOutboxProvider({ dir: options.outboxDir }), options.rateLimit);
  }
  const primary = limited(createSmtpProvider({ url: options.smtpUrl }), options.rateLimit);
  if (!options.secondarySmtpUrl) return primary;
  const secondary = limited(createSmtpProvider({ url: options.secondarySmtpUrl }), options.rateLimit);
  return failover(primary, secondary, options.failover);
}

/** Undefined when SMS is not configured: the worker then fails SMS events with that reason. */
export function createSmsProvider(options: SmsProviderOptions): Provider<SmsMessage> | undefined {
  if (!options.sns) return undefined;
  const primary = limited(createSnsSmsProvider(options.sns), options.rateLimit);
  if (!options.secondarySns) return primary;
  const secondary = limited(
    createSnsSmsProvider({ ...options.secondarySns, name: options.secondarySns.name ?? `sns-sms:${options.secondarySns.region}` }),
    options.rateLimit,
  );
  return failover(primary, secondary, options.failover);
}

/** Undefined when neither kind of push is configured. */
export function createPushProvider(options: PushProviderOptions): Provider<PushMessage> | undefined {
  if (!options.webPush && !options.sns) return undefined;
  return routePushByTarget({
    ...(options.webPush ? { 'web-push': limited(createWebPushProvider(options.webPush), options.rateLimit) } : {}),
    ...(options.sns ? { sns: limited(createSnsPushProvider(options.sns), options.rateLimit) } : {}),
  });
}

function limited<M>(provider: Provider<M>, rateLimit: RateLimitOptions | undefined): Provider<M> {
  if (!rateLimit) return provider;
  const limiter = createRateLimiter(rateLimit.redis, {
    key: provider.name,
    perSecond: rateLimit.perSecond,
    ...(rateLimit.prefix ? { prefix: rateLimit.prefix } : {}),
  });
  return withRateLimit(provider, limiter);
}

function failover<M>(primary: Provider<M>, secondary: Provider<M>, settings: FailoverSettings = {}): Provider<M> {
  if (primary.name === secondary.name) {
    throw new Error(`primary and secondary provider are both named ${primary.name}`);
  }
  return withFailover(primary, secondary, {
    threshold: settings.threshold ?? 3,
    ...(settings.coolDownMs !== undefined ? { coolDownMs: settings.coolDownMs } : {}),
  });
}
