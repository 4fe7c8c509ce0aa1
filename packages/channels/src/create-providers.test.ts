import { generateVAPIDKeys } from 'web-push';
import { createEmailProvider, createPushProvider, createSmsProvider } from './create-providers';

// Choosing a provider does no I/O: SMTP pools connect on first send, the outbox creates its
// directory on first send.
describe('provider factories', () => {
  it('uses SMTP when a URL is configured, else the outbox', async () => {
    const smtp = createEmailProvider({ smtpUrl: 'smtp://mail.example.test:2525', outboxDir: '/tmp/unused' });
    expect(smtp.name).toBe('smtp:mail.example.test:2525');
    const outbox = createEmailProvider({ outboxDir: '/tmp/mc-outbox-never-written' });
    expect(outbox.name).toBe('outbox');
    expect(() => createEmailProvider({})).toThrow(/SMTP URL or an outbox/);
    await Promise.all([smtp.close(), outbox.close()]);
  });

  it('wraps primary and secondary SMTP in failover', async () => {
    const email = createEmailProvider({ smtpUrl: 'smtps://u:p@a.example.test', secondarySmtpUrl: 'smtp://b.example.test:25' });
    expect(email.name).toBe('failover(smtp:a.example.test:465,smtp:b.example.test:25)');
    expect(email.channel).toBe('email');
    await email.close();
  });

  it('builds SMS only when SNS is configured', async () => {
    expect(createSmsProvider({})).toBeUndefined();
    const sms = createSmsProvider({ sns: { region: 'eu-west-1' } })!;
    expect([sms.name, sms.channel]).toEqual(['sns-sms', 'sms']);
    const both = createSmsProvider({ sns: { region: 'eu-west-1' }, secondarySns: { region: 'us-east-1' } })!;
    expect(both.name).toBe('failover(sns-sms,sns-sms:us-east-1)');
    await Promise.all([sms.close(), both.close()]);
  });

  it('routes push to what is configured', async () => {
    expect(createPushProvider({})).toBeUndefined();
    const push = createPushProvider({ webPush: { vapid: { ...generateVAPIDKeys(), subject: 'mailto:ops@example.test' } } })!;
    expect([push.name, push.channel]).toEqual(['push', 'push']);
    await expect(push.send({ target: { kind: 'sns', endpointArn: 'arn' }, title: 't', body: 'b' })).resolves.toMatchObject({ kind: 'permanent' });
    await push.close();
  });

  it('refuses bad VAPID settings at start-up rather than failing every send', () => {
    expect(() => createPushProvider({ webPush: { vapid: { publicKey: 'x', privateKey: 'y', subject: 'mailto:a@b' } } })).toThrow(/VAPID/);
  });
});
