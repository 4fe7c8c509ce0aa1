/**
 * The bounce listener's door over real SMTP: which recipients it takes, and how the intake's
 * verdict becomes the SMTP answer (250, 550 for a report it cannot act on, 451 when we failed).
 */
import { createTransport } from 'nodemailer';
import { DomainError, verpAddress } from '@mc/core';
import { createLogger } from '@mc/observability';
import { startFeedbackSmtpServer, type FeedbackSmtpServer } from './feedback-smtp.server';
import type { FeedbackIntake } from './feedback-intake';

const verp = { domain: 'bounce.shop.example', secret: 'listener-secret-0123456789' };
const calls: { source: string; recipients: readonly string[]; raw: string }[] = [];
let verdict: () => ReturnType<FeedbackIntake['acceptMail']> = async () => ({ outcome: 'applied', effect: 'bounced', eventId: '7', status: 'bounced' });
let server: FeedbackSmtpServer;

beforeAll(async () => {
  server = await startFeedbackSmtpServer({
    port: 0,
    host: '127.0.0.1',
    verp,
    logger: createLogger({ name: 'test', level: 'silent' }),
    intake: {
      acceptMail: async (raw, source, recipients = []) => {
        calls.push({ source, recipients, raw: raw.toString() });
        return verdict();
      },
    },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  calls.length = 0;
});

const send = (to: string, raw = 'Subject: report\r\n\r\nbody\r\n') =>
  createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true }).sendMail({ envelope: { from: '', to }, raw });

test('takes a verified VERP address and hands the message and its envelope recipients to the intake', async () => {
  const to = verpAddress('7', verp);
  const info = await send(to);
  expect(info.response).toMatch(/^250 2\.0\.0 Ok: applied \(event 7\)/);
  expect(calls).toEqual([{ source: 'smtp', recipients: [to], raw: expect.stringContaining('Subject: report') }]);
});

test('takes postmaster@ and abuse@ of the bounce domain', async () => {
  await send(`postmaster@${verp.domain}`);
  await send(`abuse@${verp.domain}`);
  expect(calls).toHaveLength(2);
});

test.each([
  ['a forged VERP address', `bounces+7-0000000000000000@${verp.domain}`, /does not verify/],
  ['another mailbox of the domain', `someone@${verp.domain}`, /No such mailbox/],
  ['another domain (no relaying)', 'ada@example.test', /Relaying denied/],
])('refuses %s at RCPT TO, before any data', async (_what, to, message) => {
  await expect(send(to)).rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(message) });
  expect(calls).toEqual([]);
});

test('a report the intake cannot act on is refused for good; our own failure asks the sender to retry', async () => {
  verdict = async () => {
    throw new DomainError('unprocessable', 'The message is neither a delivery status notification nor an ARF feedback report.');
  };
  await expect(send(verpAddress('8', verp))).rejects.toMatchObject({ responseCode: 550 });
  verdict = async () => {
    throw new Error('connection refused');
  };
  await expect(send(verpAddress('8', verp))).rejects.toMatchObject({ responseCode: 451 });
});
