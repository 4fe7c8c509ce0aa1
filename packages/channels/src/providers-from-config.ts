/**
 * The channel providers a process gets from the configuration: SMTP (or the dev outbox),
 * SNS for SMS and mobile push, web-push, each with its failover and shared rate limit. Both
 * services call this, so a proof from the ingest service goes out exactly as a delivery would.
 */
import type { Redis } from 'ioredis';
import type { Config } from '@mc/config';
import type { EmailMessage, Provider, PushMessage, SmsMessage } from './provider';
import { createEmailProvider, createPushProvider, createSmsProvider } from './create-providers';

export interface ChannelProviders {
  email: Provider<EmailMessage>;
  sms?: Provider<SmsMessage>;
  push?: Provider<PushMessage>;
  close(): Promise<void>;
}

/**
 * @param redis enables the shared per-provider rate limits configured in `config.rates`; and,
 * for SMS and push, whose providers can answer "slow down" (SNS throttling, a push service's
 * 429), a shared hold on that provider for the delay it asked for even when no rate is set.
 */
export function createChannelProviders(config: Readonly<Config>, redis?: Redis): ChannelProviders {
  const rateLimit = (perSecond: number | undefined, { honourSlowDown = false } = {}) => {
    if (!redis) return undefined;
    const prefix = `${config.queuePrefix}:rate:`;
    if (perSecond) return { redis, perSecond, prefix };
    return honourSlowDown ? { redis, perSecond: Infinity, prefix } : undefined;
  };
  const failover = { threshold: config.failoverThreshold };
  const sns = config.aws.enabled
    ? { region: config.aws.region, ...(config.aws.snsEndpoint ? { endpoint: config.aws.snsEndpoint } : {}) }
    : undefined;
  const smsSettings = { senderId: config.aws.smsSenderId, smsType: config.aws.smsType };

  const email = createEmailProvider({
    smtpUrl: config.smtpUrl,
    secondarySmtpUrl: config.smtpSecondaryUrl,
    outboxDir: config.outboxDir,
    failover,
    rateLimit: rateLimit(config.rates.email),
  });
  const sms = createSmsProvider({
    sns: sns && { ...sns, ...smsSettings },
    secondarySns: sns && config.aws.secondaryRegion ? { ...sns, ...smsSettings, region: config.aws.secondaryRegion } : undefined,
    failover,
    rateLimit: rateLimit(config.rates.sms, { honourSlowDown: true }),
  });
  const push = createPushProvider({
    webPush: config.vapid ? { vapid: config.vapid, outbound: config.outbound } : undefined,
    sns,
    rateLimit: rateLimit(config.rates.push, { honourSlowDown: true }),
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
