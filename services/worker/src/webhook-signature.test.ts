import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook, webhookMessageId } from './webhook-signature';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ type: 'event.sent', timestamp: '2026-11-30T09:00:00.000Z', data: { id: '1' } });

it("signs so that the library's verify accepts it", () => {
  const key = secret();
  const headers = signWebhook([key], webhookMessageId(42n), new Date(), body);
  expect(headers['webhook-id']).toBe('msg_42');
  expect(new Webhook(key).verify(body, { ...headers })).toEqual(JSON.parse(body));
});

it('is the HMAC-SHA256 of id.timestamp.body under the base64 key, as the specification says', () => {
  const key = secret();
  const at = new Date('2026-11-30T09:00:00Z');
  const headers = signWebhook([key], 'msg_1', at, body);
  const expected = createHmac('sha256', Buffer.from(key.slice('whsec_'.length), 'base64'))
    .update(`msg_1.${headers['webhook-timestamp']}.${body}`)
    .digest('base64');
  expect(headers['webhook-timestamp']).toBe(String(at.getTime() / 1000));
  expect(headers['webhook-signature']).toBe(`v1,${expected}`);
});

it('carries one signature per secret during a rotation, each verifying', () => {
  const [next, previous] = [secret(), secret()];
  const headers = signWebhook([next, previous], 'msg_7', new Date(), body);
  expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
  expect(() => new Webhook(next).verify(body, { ...headers })).not.toThrow();
  expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow();
  expect(() => new Webhook(secret()).verify(body, { ...headers })).toThrow();
});

it('fails verification for an altered body', () => {
  const key = secret();
  const headers = signWebhook([key], 'msg_9', new Date(), body);
  expect(() => new Webhook(key).verify(body.replace('sent', 'bounced'), { ...headers })).toThrow();
});
