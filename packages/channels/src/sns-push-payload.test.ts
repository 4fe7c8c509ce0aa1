import { buildSnsPushPublish } from './sns-push-payload';

describe('buildSnsPushPublish', () => {
  it('builds a minimal notification with normal priority and no TTL', () => {
    const { message, attributes } = buildSnsPushPublish({ target: { kind: 'sns', endpointArn: 'arn' }, title: 'Hi', body: 'There' });
    const doc = JSON.parse(message) as Record<string, string>;
    expect(Object.keys(doc).sort()).toEqual(['APNS', 'APNS_SANDBOX', 'GCM', 'default']);
    expect(JSON.parse(doc.GCM!)).toEqual({
      fcmV1Message: { message: { notification: { title: 'Hi', body: 'There' }, data: {}, android: { priority: 'NORMAL' } } },
    });
    expect(JSON.parse(doc.APNS!)).toEqual({ aps: { alert: { title: 'Hi', body: 'There' }, sound: 'default' } });
    expect(doc.APNS_SANDBOX).toBe(doc.APNS);
    expect(attributes['AWS.SNS.MOBILE.APNS.PRIORITY']?.StringValue).toBe('5');
    expect(attributes['AWS.SNS.MOBILE.APNS.TTL']).toBeUndefined();
  });

  it('stringifies data values for FCM (its data map holds strings only) and keeps them typed for APNs', () => {
    const { message } = buildSnsPushPublish({
      target: { kind: 'sns', endpointArn: 'arn' },
      title: 't',
      body: 'b',
      icon: 'https://x/icon.png',
      data: { n: 1, ok: true, nested: { a: [1] }, s: 'text' },
    });
    const doc = JSON.parse(message) as Record<string, string>;
    expect(JSON.parse(doc.GCM!).fcmV1Message.message.data).toEqual({ n: '1', ok: 'true', nested: '{"a":[1]}', s: 'text', icon: 'https://x/icon.png' });
    expect(JSON.parse(doc.APNS!).data).toEqual({ n: 1, ok: true, nested: { a: [1] }, s: 'text' });
  });
});
