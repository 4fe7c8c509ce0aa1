import { createSmtpProvider } from './smtp.provider';
import { withFailover } from './failover.provider';
import type { EmailMessage } from './provider';
import { startSmtpSink, type SmtpSink } from './testing';

describe('failover between two SMTP relays', () => {
  let broken: SmtpSink;
  let healthy: SmtpSink;
  beforeAll(async () => {
    broken = await startSmtpSink({ reply: () => ({ code: 421, message: '4.3.2 Service shutting down, try later' }) });
    healthy = await startSmtpSink();
  });
  afterAll(async () => {
    await broken.close();
    await healthy.close();
  });

  it('moves to the secondary after the threshold, and the outcome names it', async () => {
    const primary = createSmtpProvider({ url: broken.url, name: 'smtp-primary' });
    const secondary = createSmtpProvider({ url: healthy.url, name: 'smtp-secondary' });
    const failover = withFailover(primary, secondary, { threshold: 3, coolDownMs: 60_000 });
    const mail = (n: number): EmailMessage => ({
      from: 'shop@example.test',
      to: `ada+${n}@example.test`,
      subject: `message ${n}`,
      html: `<p>${n}</p>`,
      text: String(n),
    });
    try {
      const outcomes = [];
      for (let n = 1; n <= 5; n += 1) outcomes.push(await failover.send(mail(n)));

      expect(outcomes.slice(0, 3)).toEqual(
        Array.from({ length: 3 }, () => ({ kind: 'transient', provider: 'smtp-primary', error: expect.stringMatching(/^421 /) })),
      );
      expect(outcomes.slice(3)).toEqual(
        Array.from({ length: 2 }, () => ({ kind: 'sent', provider: 'smtp-secondary', providerMessageId: expect.any(String) })),
      );
      expect(failover.active).toBe('smtp-secondary');
      expect(broken.messages).toHaveLength(0);
      expect(healthy.messages.map((m) => m.parsed.subject)).toEqual(['message 4', 'message 5']);
    } finally {
      await failover.close();
    }
  });
});
