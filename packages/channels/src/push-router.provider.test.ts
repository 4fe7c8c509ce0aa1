import { routePushByTarget } from './push-router.provider';
import type { Provider, PushMessage } from './provider';

const fake = (name: string): Provider<PushMessage> & { closed: boolean } => {
  const provider = {
    name,
    channel: 'push' as const,
    closed: false,
    send: async () => ({ kind: 'sent' as const, provider: name, providerMessageId: `${name}-1` }),
    close: async () => {
      provider.closed = true;
    },
  };
  return provider;
};

const webPushTarget = { kind: 'web-push' as const, subscription: { endpoint: 'https://push.example/x', keys: { p256dh: 'p', auth: 'a' } } };

describe('routePushByTarget', () => {
  it('sends each target kind to its provider and closes them all', async () => {
    const web = fake('web-push');
    const sns = fake('sns-push');
    const router = routePushByTarget({ 'web-push': web, sns });
    expect(await router.send({ target: webPushTarget, title: 't', body: 'b' })).toMatchObject({ provider: 'web-push' });
    expect(await router.send({ target: { kind: 'sns', endpointArn: 'arn' }, title: 't', body: 'b' })).toMatchObject({ provider: 'sns-push' });
    await router.close();
    expect(web.closed && sns.closed).toBe(true);
  });

  it('fails permanently, with the reason, for a target kind nobody configured', async () => {
    const router = routePushByTarget({ sns: fake('sns-push') });
    expect(await router.send({ target: webPushTarget, title: 't', body: 'b' })).toEqual({
      kind: 'permanent',
      provider: 'push',
      error: 'no provider configured for web-push push targets',
    });
  });
});
