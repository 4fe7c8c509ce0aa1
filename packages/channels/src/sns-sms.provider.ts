/**
 * SMS through Amazon SNS: a direct `Publish` to a phone number. Transactional by default,
 * which AWS routes for reliability rather than cost (OTPs and alerts must arrive).
 */
import { PublishCommand, type MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Provider, SendOutcome, SmsMessage } from './provider';
import { createSnsClient, publishOptions, type SnsClientOptions } from './sns-client';
import { classifySnsError } from './classify-sns-error';

export interface SnsSmsProviderOptions extends SnsClientOptions {
  /** Alphanumeric sender id shown on handsets, where the destination country allows one. */
  senderId?: string;
  /** @defaultValue `Transactional` */
  smsType?: 'Transactional' | 'Promotional';
  /** @defaultValue `sns-sms` */
  name?: string;
}

export function createSnsSmsProvider(options: SnsSmsProviderOptions): Provider<SmsMessage> {
  const name = options.name ?? 'sns-sms';
  const client = createSnsClient(options);
  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: options.smsType ?? 'Transactional' },
  };
  if (options.senderId) {
    attributes['AWS.SNS.SMS.SenderID'] = { DataType: 'String', StringValue: options.senderId };
  }
  let closed = false;

  return {
    name,
    channel: 'sms',
    async send(message: SmsMessage): Promise<SendOutcome> {
      if (closed) throw new Error(`${name}: send() after close()`);
      try {
        const result = await client.send(
          new PublishCommand({ PhoneNumber: message.to, Message: message.text, MessageAttributes: attributes }),
          publishOptions(options),
        );
        if (!result.MessageId) return { kind: 'transient', provider: name, error: 'SNS answered without a MessageId' };
        return { kind: 'sent', provider: name, providerMessageId: result.MessageId };
      } catch (err) {
        return classifySnsError(name, err);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      client.destroy();
    },
  };
}
