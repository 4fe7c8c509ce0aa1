/**
 * Chooses and assembles each channel's provider from plain options (the worker reads its
 * configuration once and passes it here): which system to talk to, an optional secondary
 * to fail over to, and the gate in front of every provider (holds, circuit breaker, pacing;
 * see provider-gate.ts), shared through Redis when one is given.
 */
import type { Cluster, Redis } from 'ioredis';
import type { EmailMessage, Provider, PushMessage, SmsMessage } from './provider';
import { createSmtpProvider } from './smtp.provider';
import type { SenderSettings } from './mail-options';
import { createOutboxProvider } from './outbox.provider';
import { createSnsSmsProvider, type SnsSmsProviderOptions } from './sns-sms.provider';
import { createSnsPushProvider, type SnsPushProviderOptions } from './sns-push.provider';
import { createWebPushProvider, type WebPushProviderOptions } from './web-push.provider';
import { routePushByTarget } from './push-router.provider';
import { withFailover } from './failover.provider';
import { withSendTimeout } from './send-timeout.provider';
import { withGate, type BreakerListener, type GateWrapOptions } from './gated.provider';
import { withGateRecall } from './gate-recall';
import { createMemoryGateStore, createRedisGateStore } from './provider-gate';

export interface GateOptions {
  /** Shares holds, breakers and pacing across replicas; absent, each process keeps its own. */
  redis?: Redis | Cluster;
  /** @defaultValue `mc:gate:` */
  prefix?: string;
  /**
   * Sends per second for each provider of the channel (primary and secondary alike); unset
   * for no pacing (holds and the breaker still apply).
   */
  perSecond?: number;
  /** Consecutive transient failures that open a provider's breaker (FAILOVER_THRESHOLD). @defaultValue 3 */
  threshold?: number;
  /** Time between probes of an open breaker (BREAKER_PROBE_INTERVAL_MS). @defaultValue 10 000 */
  probeIntervalMs?: number;
  /** Hears of breaker changes: log them, count them (see `createBreakerReporter`). */
  onBreaker?: BreakerListener;
  /**
   * With Redis and no pacing: how long a clear gate is remembered by this replica instead of
   * asked again (gate-recall.ts); 0 asks Redis before every send. @defaultValue 250
   */
  recallMs?: number;
}

/** @see GateOptions.recallMs */
const DEFAULT_GATE_RECALL_MS = 250;

export interface EmailProviderOptions {
  /** SMTP connection URL; when absent, mail goes to the dev outbox in `outboxDir`. */
  smtpUrl?: string;
  /** Secondary SMTP relay, used while the primary's breaker is open or it is on hold. */
  secondarySmtpUrl?: string;
  outboxDir?: string;
  /** SMTP connection and greeting timeouts (SEND_TIMEOUT_MS). @defaultValue 10 000 */
  sendTimeoutMs?: number;
  /** VERP envelope and DKIM signing for every email provider. */
  sender?: SenderSettings;
  gate?: GateOptions;
}

export interface SmsProviderOptions {
  /** SNS settings; when absent there is no SMS provider. */
  sns?: SnsSmsProviderOptions;
  /** A second SNS setup (typically another region) to fail over to. */
  secondarySns?: SnsSmsProviderOptions;
  gate?: GateOptions;
}

export interface PushProviderOptions {
  webPush?: WebPushProviderOptions;
  /** The whole of one web push send, answer included (SEND_TIMEOUT_MS). @defaultValue 10 000 */
  sendTimeoutMs?: number;
  sns?: SnsPushProviderOptions;
  gate?: GateOptions;
}

export function createEmailProvider(options: EmailProviderOptions): Provider<EmailMessage> {
  if (!options.smtpUrl) {
    if (!options.outboxDir) throw new Error('email needs an SMTP URL or an outbox directory');
    return gated(createOutboxProvider({ dir: options.outboxDir, ...(options.sender ? { sender: options.sender } : {}) }), options.gate);
  }
  const smtp = (url: string) =>
    createSmtpProvider({
      url,
      ...(options.sender ? { sender: options.sender } : {}),
      ...(options.sendTimeoutMs !== undefined ? { connectionTimeoutMs: options.sendTimeoutMs, greetingTimeoutMs: options.sendTimeoutMs } : {}),
    });
  const relay = { isProviderFault: smtpRelayFault };
  const primary = gated(smtp(options.smtpUrl), options.gate, relay);
  if (!options.secondarySmtpUrl) return primary;
  return failover(primary, gated(smtp(options.secondarySmtpUrl), options.gate, relay));
}

/** Undefined when SMS is not configured: the worker then fails SMS events with that reason. */
export function createSmsProvider(options: SmsProviderOptions): Provider<SmsMessage> | undefined {
  if (!options.sns) return undefined;
  const primary = gated(createSnsSmsProvider(options.sns), options.gate);
  if (!options.secondarySns) return primary;
  const secondary = gated(
    createSnsSmsProvider({ ...options.secondarySns, name: options.secondarySns.name ?? `sns-sms:${options.secondarySns.region}` }),
    options.gate,
  );
  return failover(primary, secondary);
}

/** Undefined when neither kind of push is configured. */
export function createPushProvider(options: PushProviderOptions): Provider<PushMessage> | undefined {
  if (!options.webPush && !options.sns) return undefined;
  return routePushByTarget({
    ...(options.webPush
      ? {
          'web-push': gated(withSendTimeout(createWebPushProvider(options.webPush), options.sendTimeoutMs ?? 10_000), options.gate, {
            remoteOf: pushServiceOrigin,
          }),
        }
      : {}),
    ...(options.sns ? { sns: gated(createSnsPushProvider(options.sns), options.gate) } : {}),
  });
}

/**
 * A relay that cannot be reached (refused, reset, timed out, TLS, auth) or answers 421
 * ("service not available, closing the channel") is unwell. Any other 4xx reply (450 mailbox
 * busy, 451 greylisted, 452) is the relay judging one message or recipient: it is up.
 */
export function smtpRelayFault(outcome: { error: string }): boolean {
  const reply = /^([45]\d\d)[ -]/.exec(outcome.error)?.[1];
  return reply === undefined || reply === '421';
}

/**
 * Each push service (https://fcm.googleapis.com, https://updates.push.services.mozilla.com,
 * ...) is a separate remote: its 429 holds it alone, and its failures open its own breaker.
 */
export function pushServiceOrigin(message: PushMessage): string | undefined {
  if (message.target.kind !== 'web-push') return undefined;
  try {
    const origin = new URL(message.target.subscription.endpoint).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function gated<M>(
  provider: Provider<M>,
  gate: GateOptions = {},
  extra: Pick<GateWrapOptions<M>, 'remoteOf' | 'isProviderFault'> = {},
): Provider<M> {
  const settings = {
    ...(gate.perSecond !== undefined ? { perSecond: gate.perSecond } : {}),
    threshold: gate.threshold ?? 3,
    probeIntervalMs: gate.probeIntervalMs ?? 10_000,
  };
  const recallMs = gate.recallMs ?? DEFAULT_GATE_RECALL_MS;
  let store = gate.redis
    ? createRedisGateStore(gate.redis, { ...settings, name: provider.name, prefix: gate.prefix ?? 'mc:gate:' })
    : createMemoryGateStore(settings);
  // Paced sends each claim a slot; the memory store is local anyway.
  if (gate.redis && gate.perSecond === undefined && recallMs > 0) store = withGateRecall(store, { ttlMs: recallMs });
  return withGate(provider, store, {
    probeIntervalMs: settings.probeIntervalMs,
    ...(gate.onBreaker ? { onBreaker: gate.onBreaker } : {}),
    ...extra,
  });
}

function failover<M>(primary: Provider<M>, secondary: Provider<M>): Provider<M> {
  if (primary.name === secondary.name) {
    throw new Error(`primary and secondary provider are both named ${primary.name}`);
  }
  return withFailover(primary, secondary);
}
