/**
 * @mc/channels: channel providers (SMTP, dev outbox, SNS SMS, SNS mobile push, Web Push)
 * behind one small interface, plus failover and a Redis-backed gate (holds, circuit breaker,
 * shared rate limit). Test
 * peers (SMTP sink, SNS endpoint, push receiver) live in the separate `testing` entry.
 */
export type {
  EmailMessage,
  Provider,
  PushMessage,
  PushTarget,
  PushUrgency,
  SendOutcome,
  SendOutcomeKind,
  SmsMessage,
  WebPushSubscription,
} from './provider';
export { isRetryable } from './provider';
export { parseRetryAfter } from './retry-after';
export { createSmtpProvider } from './smtp.provider';
export type { SmtpProviderOptions } from './smtp.provider';
export { EVENT_HEADER, mailOptions } from './mail-options';
export type { SenderSettings } from './mail-options';
export { createOutboxProvider, listOutbox } from './outbox.provider';
export type { OutboxEntry, OutboxProviderOptions } from './outbox.provider';
export type { SnsClientOptions } from './sns-client';
export { createSnsSmsProvider } from './sns-sms.provider';
export type { SnsSmsProviderOptions } from './sns-sms.provider';
export { createSnsPushProvider } from './sns-push.provider';
export type { SnsPushProviderOptions } from './sns-push.provider';
export { createWebPushProvider, MAX_WEB_PUSH_PAYLOAD_BYTES } from './web-push.provider';
export type { VapidDetails, WebPushProviderOptions } from './web-push.provider';
export { routePushByTarget } from './push-router.provider';
export type { PushProvidersByTarget } from './push-router.provider';
export { withFailover } from './failover.provider';
export { createMemoryGateStore, createRedisGateStore, holdKey } from './provider-gate';
export type { BreakerChange, BreakerState, GateEntry, GateSettings, GateStore, HoldReason, RedisGateOptions } from './provider-gate';
export { withGate, isHeld, heldDelay, wasProbe } from './gated.provider';
export type { BreakerEvent, BreakerListener, GateWrapOptions, HeldOutcome } from './gated.provider';
export { createBreakerReporter, BREAKER_STATE_VALUE } from './breaker-reporter';
export type { BreakerReporterTargets } from './breaker-reporter';
export { createEmailProvider, createPushProvider, createSmsProvider, pushServiceOrigin, smtpRelayFault } from './create-providers';
export type { EmailProviderOptions, GateOptions, PushProviderOptions, SmsProviderOptions } from './create-providers';
export { createChannelProviders } from './providers-from-config';
export type { ChannelProviders, ChannelProvidersOptions } from './providers-from-config';
export { createOutboundAgent, isOutboundPolicyError, OutboundPolicyError } from './outbound-agent';
export type { OutboundAgentOptions } from './outbound-agent';
