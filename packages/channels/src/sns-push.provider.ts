/**
 * Mobile push through Amazon SNS: a `Publish` to a platform endpoint ARN (one app install)
 * carrying per-platform payloads. A disabled or deleted endpoint means the app was
 * uninstalled or its token expired, so it is reported as an invalid address to suppress.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Provider, PushMessage, SendOutcome } from './provider';
import { createSnsClient, publishOptions, type SnsClientOptions } from './sns-client';
import { classifySnsError } from './classify-sns-error';
import { buildSnsPushPublish } from './sns-push-payload';

export interface SnsPushProviderOptions extends SnsClientOptions {
  /** @defaultValue `sns-push` */
  name?: string;
}

export function createSnsPushProvider(options: SnsPushProviderOptions): Provider<PushMessage> {
  const name = options.name ?? 'sns-push';
  const client = createSnsClient(options);
  let closed = false;

  return {
    name,
    channel: 'push',
    async send(push: PushMessage): Promise<SendOutcome> {
      if (closed) throw new Error(`${name}: send() after close()`);
      if (push.target.kind !== 'sns') {
        throw new Error(`${name}: cannot send to a ${push.target.kind} target`);
      }
      const { message, attributes } = buildSnsPushPublish(push);
      try {
        const result = await client.send(
          new PublishCommand({
            TargetArn: push.target.endpointArn,
            MessageStructure: 'json',
            Message: message,
            MessageAttributes: attributes,
          }),
          publishOptions(options),
        );
        if (!result.MessageId) return { kind: 'transient', provider: name, error: 'SNS answered without a MessageId' };
        return { kind: 'sent', provider: name, providerMessageId: result.MessageId };
      } catch (err) {
        return classifySnsError(name, err, { notFoundIsAddressInvalid: true });
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      client.destroy();
    },
  };
}
