/**
 * The channel providers a process gets from the configuration: SMTP (or the dev outbox),
 * SNS for SMS and mobile push, web-push, each behind its gate (holds, circuit breaker,
 * pacing) and with its failover. Both services call this, so a proof from the ingest
 * service goes out exactly as a delivery would.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Config } from '@mc/config';
import type { EmailMessage, Provider, PushMessage, SmsMessage } from './provider';
import { createEmailProvider, createPushProvider, createSmsProvider, type GateOptions } from './create-providers';
import type { BreakerListener } from './gated.provider';

export interface ChannelProviders {
  email: Provider<EmailMessage>;
  sms?: Provider<SmsMessage>;
  push?: Provider<PushMessage>;
  close(): Promise<void>;
}

export interface ChannelProvidersOptions {
  /** Hears of breaker changes; the worker passes `createBreakerReporter({ logger, metrics })`. */
  onBreaker?: BreakerListener;
}

/**
 * @param redis shares the gates across replicas: the per-provider rates of `config.rates`,
 * the holds a provider or push service asked for, and the circuit breakers. Without it each
 * process keeps its own (the ingest's proof sends).
 */
export function createChannelProviders(config: Readonly<Config>, redis?: Redis | Cluster, options: ChannelProvidersOptions = {}): ChannelProviders {
  const gate = (perSecond: number | undefined): GateOptions => ({
    ...(redis ? { redis, prefix: `${config.queuePrefix}:gate:` } : {}),
    ...(perSecond ? { perSecond } : {}),
    threshold: config.failoverThreshold,
    probeIntervalMs: config.breakerProbeIntervalMs,
    ...(options.onBreaker ? { onBreaker: options.onBreaker } : {}),
  });
  const timeouts = { connectionTimeoutMs: Math.min(5000, config.sendTimeoutMs), sendTimeoutMs: config.sendTimeoutMs };
  const sns = config.aws.enabled
    ? { region: config.aws.region, ...(config.aws.snsEndpoint ? { endpoint: config.aws.snsEndpoint } : {}), ...timeouts }
    : undefined;
  const smsSettings = { senderId: config.aws.smsSenderId, smsType: config.aws.smsType };

  const email = createEmailProvider({
    smtpUrl: config.smtpUrl,
    secondarySmtpUrl: config.smtpSecondaryUrl,
    outboxDir: config.outboxDir,
    sendTimeoutMs: config.sendTimeoutMs,
    sender: {
      ...(config.feedback.bounce ? { verp: config.feedback.bounce } : {}),
      ...(config.dkim ? { dkim: config.dkim } : {}),
    },
    gate: gate(config.rates.email),
  });
  const sms = createSmsProvider({
    sns: sns && { ...sns, ...smsSettings },
    secondarySns: sns && config.aws.secondaryRegion ? { ...sns, ...smsSettings, region: config.aws.secondaryRegion } : undefined,
    gate: gate(config.rates.sms),
  });
  const push = createPushProvider({
    webPush: config.vapid ? { vapid: config.vapid, outbound: config.outbound } : undefined,
    sendTimeoutMs: config.sendTimeoutMs,
    sns,
    gate: gate(config.rates.push),
  });
  return {
    email,
    ...(sms ? { sms } : {}),
    ...(push ? { push } : {}),
    async close() {
      await Promise.all([email.close(), sms?.close(), push?.close()]);
    },
  };
}
