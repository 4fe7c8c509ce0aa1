/**
 * The push channel's provider: a push address is either a browser subscription or an SNS
 * endpoint ARN, so each message goes to the provider for its target's kind.
 */
import type { Provider, PushMessage, PushTarget, SendOutcome } from './provider';

export type PushProvidersByTarget = { [K in PushTarget['kind']]?: Provider<PushMessage> };

export function routePushByTarget(providers: PushProvidersByTarget): Provider<PushMessage> {
  const name = 'push';
  return {
    name,
    channel: 'push',
    async send(message: PushMessage): Promise<SendOutcome> {
      const provider = providers[message.target.kind];
      if (!provider) {
        // A configuration gap, not a transient state: the event fails with a reason an
        // operator can read and can be re-driven once the provider is configured.
        return { kind: 'permanent', provider: name, error: `no provider configured for ${message.target.kind} push targets` };
      }
      return provider.send(message);
    },
    async close(): Promise<void> {
      await Promise.all(Object.values(providers).map((provider) => provider.close()));
    },
  };
}
