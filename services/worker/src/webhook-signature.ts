/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the headers of one attempt.
 * `webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, computed by the
 * `standardwebhooks` library; during a secret rotation's overlap it carries one signature per
 * secret, space-separated, so a receiver holding either secret verifies.
 */
import { Webhook } from 'standardwebhooks';

/** The `webhook-id` of a webhook message: the same on every retry and replay of it. */
export function webhookMessageId(messageId: bigint | string): string {
  return `msg_${messageId}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Headers for sending `body` now, signed with each of `secrets` (`whsec_…`, current first). */
export function signWebhook(secrets: readonly string[], msgId: string, at: Date, body: string): WebhookHeaders {
  if (secrets.length === 0) throw new Error('signWebhook needs at least one secret');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(msgId, at, body)).join(' '),
  };
}
