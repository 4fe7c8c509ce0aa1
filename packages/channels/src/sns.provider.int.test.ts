import { createSnsSmsProvider } from './sns-sms.provider';
import { createSnsPushProvider } from './sns-push.provider';
import type { PushMessage } from './provider';
import { startSnsEndpoint, type SnsEndpoint, type SnsReply } from './testing';

const credentials = { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret-key' };

/** Answers by the last digits of the phone number (or the endpoint ARN's last segment). */
const replies: Record<string, SnsReply> = {
  '0429': { code: 'Throttling', message: 'Rate exceeded', headers: { 'Retry-After': '3' } },
  '0430': { code: 'ThrottledException', status: 429, message: 'Throttled' },
  '0400': { code: 'InvalidParameter', message: 'Invalid parameter: PhoneNumber Reason: not valid to publish to' },
  '0401': { code: 'ParameterValueInvalid', message: 'Invalid parameter value' },
  '0403': { code: 'AuthorizationError', status: 403, message: 'not authorized' },
  '0410': { code: 'EndpointDisabled', message: 'Endpoint is disabled' },
  '0411': { code: 'OptedOut', message: 'Phone number is opted out' },
  '0404': { code: 'NotFound', status: 404, message: 'Endpoint does not exist' },
  '0500': { code: 'InternalError', type: 'Receiver', message: 'Internal failure' },
  '0503': { code: 'ServiceUnavailable', type: 'Receiver', status: 503, message: 'Try later' },
};

describe('SNS providers against a local SNS query endpoint', () => {
  let sns: SnsEndpoint;
  beforeAll(async () => {
    sns = await startSnsEndpoint({
      reply: (publish) => replies[(publish.phoneNumber ?? publish.targetArn ?? '').slice(-4)],
    });
  });
  afterAll(() => sns.close());

  describe('SMS', () => {
    const sms = () => createSnsSmsProvider({ region: 'eu-west-1', endpoint: sns.url, credentials, senderId: 'ACMESHOP' });

    it('publishes phone number, text and SMS attributes, and reports the MessageId', async () => {
      const provider = sms();
      const outcome = await provider.send({ to: '+33612340001', text: 'Your code is 123456 — valid 10 min' });
      await provider.close();

      const publish = sns.received.at(-1)!;
      expect(outcome).toEqual({ kind: 'sent', provider: 'sns-sms', providerMessageId: expect.any(String) });
      expect(publish.phoneNumber).toBe('+33612340001');
      expect(publish.message).toBe('Your code is 123456 — valid 10 min');
      expect(publish.signedFor).toBe('eu-west-1/sns');
      expect(publish.attributes).toEqual({
        'AWS.SNS.SMS.SMSType': { dataType: 'String', stringValue: 'Transactional' },
        'AWS.SNS.SMS.SenderID': { dataType: 'String', stringValue: 'ACMESHOP' },
      });
    });

    it('defaults to Transactional without a sender id, and honours Promotional', async () => {
      const plain = createSnsSmsProvider({ region: 'eu-west-1', endpoint: sns.url, credentials });
      await plain.send({ to: '+33612340002', text: 'a' });
      expect(sns.received.at(-1)!.attributes).toEqual({ 'AWS.SNS.SMS.SMSType': { dataType: 'String', stringValue: 'Transactional' } });
      const promo = createSnsSmsProvider({ region: 'eu-west-1', endpoint: sns.url, credentials, smsType: 'Promotional' });
      await promo.send({ to: '+33612340003', text: 'b' });
      expect(sns.received.at(-1)!.attributes['AWS.SNS.SMS.SMSType']?.stringValue).toBe('Promotional');
      await Promise.all([plain.close(), promo.close()]);
    });

    it.each([
      ['0429', 'Throttling (Retry-After: 3)', { kind: 'rate-limited', retryAfterMs: 3000 }],
      ['0430', 'ThrottledException without Retry-After', { kind: 'rate-limited', retryAfterMs: 1000 }],
      ['0400', 'InvalidParameter', { kind: 'permanent' }],
      ['0401', 'ParameterValueInvalid', { kind: 'permanent' }],
      ['0411', 'OptedOut', { kind: 'address-invalid' }],
      ['0410', 'EndpointDisabled', { kind: 'address-invalid' }],
      ['0403', 'AuthorizationError (a setup problem)', { kind: 'transient' }],
      ['0500', 'InternalError 500', { kind: 'transient' }],
      ['0503', 'ServiceUnavailable 503', { kind: 'transient' }],
    ])('classifies %s (%s)', async (suffix, _label, expected) => {
      const provider = sms();
      const before = sns.received.length;
      const outcome = await provider.send({ to: `+3361234${suffix}`, text: 'hello' });
      await provider.close();
      expect(outcome).toMatchObject({ ...expected, provider: 'sns-sms', error: expect.any(String) });
      // The SDK's own retries are off: exactly one request per send, the queue retries.
      expect(sns.received.length - before).toBe(1);
    });

    it('is transient when the endpoint is unreachable', async () => {
      const provider = createSnsSmsProvider({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', credentials });
      await expect(provider.send({ to: '+33612340001', text: 'x' })).resolves.toMatchObject({ kind: 'transient', provider: 'sns-sms' });
      await provider.close();
    });
  });

  describe('mobile push', () => {
    const arn = (suffix: string) => `arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop-app/5c2b6c1a-${suffix}`;
    const push = (suffix: string): PushMessage => ({
      target: { kind: 'sns', endpointArn: arn(suffix) },
      title: 'Order shipped',
      body: 'Your parcel is on its way',
      url: 'https://shop.example.test/orders/42',
      data: { orderId: 42, carrier: 'UPS' },
      ttlSeconds: 3600,
      urgency: 'high',
    });

    it('publishes a json MessageStructure with FCM and APNs payloads to the endpoint ARN', async () => {
      const provider = createSnsPushProvider({ region: 'eu-west-1', endpoint: sns.url, credentials });
      const outcome = await provider.send(push('0001'));
      await provider.close();

      expect(outcome).toEqual({ kind: 'sent', provider: 'sns-push', providerMessageId: expect.any(String) });
      const publish = sns.received.at(-1)!;
      expect(publish.targetArn).toBe(arn('0001'));
      expect(publish.messageStructure).toBe('json');
      const doc = JSON.parse(publish.message) as Record<string, string>;
      expect(doc.default).toBe('Your parcel is on its way');
      const fcm = JSON.parse(doc.GCM!);
      expect(fcm.fcmV1Message.message.notification).toEqual({ title: 'Order shipped', body: 'Your parcel is on its way' });
      expect(fcm.fcmV1Message.message.data).toEqual({ orderId: '42', carrier: 'UPS', url: 'https://shop.example.test/orders/42' });
      expect(fcm.fcmV1Message.message.android).toEqual({ priority: 'HIGH', ttl: '3600s' });
      const apns = JSON.parse(doc.APNS!);
      expect(apns.aps.alert).toEqual({ title: 'Order shipped', body: 'Your parcel is on its way' });
      expect(apns.data).toEqual({ orderId: 42, carrier: 'UPS' });
      expect(publish.attributes['AWS.SNS.MOBILE.APNS.PRIORITY']?.stringValue).toBe('10');
      expect(publish.attributes['AWS.SNS.MOBILE.APNS.TTL']?.stringValue).toBe('3600');
    });

    it.each([
      ['0410', 'EndpointDisabled', 'address-invalid'],
      ['0404', 'NotFound (endpoint deleted)', 'address-invalid'],
      ['0429', 'Throttling', 'rate-limited'],
      ['0400', 'InvalidParameter', 'permanent'],
      ['0500', 'InternalError', 'transient'],
    ])('classifies %s (%s) as %s', async (suffix, _label, kind) => {
      const provider = createSnsPushProvider({ region: 'eu-west-1', endpoint: sns.url, credentials });
      await expect(provider.send(push(suffix))).resolves.toMatchObject({ kind, provider: 'sns-push' });
      await provider.close();
    });
  });
});
