/**
 * Every classified SMTP failure end to end, against an smtp-server sink that answers 250, 421,
 * 451, 550 or 552 on demand: an unknown user is suppressed and the next event to the address is
 * ignored; 4xx answers are retried with backoff (the event pending, its next attempt time
 * visible, each attempt on the delivery row) until the relay accepts or the attempts run out.
 */
import { replyByLocalPart, type SmtpReply, type SmtpReplyPolicy, type SmtpStage } from '../../packages/channels/src/testing';
import { startSystem, waitForEvent, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(90_000);

const ATTEMPTS = 6;
let system: System;

/** Refusals the test switches on and off per recipient; anything else as the local part says. */
const refusing = new Map<string, { stage: SmtpStage; reply: SmtpReply }>();
/** When each send to a recipient reached RCPT TO. */
const tries = new Map<string, number[]>();
const policy: SmtpReplyPolicy = (stage, recipient) => {
  const refusal = refusing.get(recipient);
  if (stage === 'rcpt') tries.set(recipient, [...(tries.get(recipient) ?? []), Date.now()]);
  if (refusal) return refusal.stage === stage ? refusal.reply : undefined;
  return replyByLocalPart(stage, recipient);
};

beforeAll(async () => {
  system = await startSystem({ smtpReply: policy, env: { DELIVERY_ATTEMPTS: String(ATTEMPTS), RETRY_BASE_DELAY_MS: '200' } });
  expect((await system.api('POST', '/v1/event-types', { key: 'RECEIPT', label: 'Receipt' })).status).toBe(201);
  const created = await system.api('POST', '/v1/templates', {
    eventType: 'RECEIPT',
    channel: 'email',
    name: 'receipt',
    content: { subject: 'Receipt {{ ctx.n }}', mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>Thanks</mj-text></mj-column></mj-section></mj-body></mjml>' },
  });
  expect(created.status).toBe(201);
  expect((await system.api('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
});

afterAll(async () => {
  await system?.stop();
});

const push = async (email: string, n = 1) => {
  const accepted = await system.api('POST', '/v1/events', { type: 'RECEIPT', email, ctx: { n } }, system.ingestKey);
  expect(accepted.status).toBe(202);
  return accepted.body.id as string;
};
const received = (address: string) => system.sink.messages.filter((m) => m.envelope.rcptTo.includes(address));
const attemptLog = async (id: string) => {
  const rows = await system.db.prisma.delivery.findMany({ where: { eventId: BigInt(id) } });
  expect(rows).toHaveLength(1);
  return rows[0]!.attemptLog as { at: string; provider: string; outcome: string; error?: string }[];
};

test('550 5.1.1 unknown user: deliveryFailed, the address suppressed, the next event to it ignored', async () => {
  const id = await push('reject-550@example.com');
  const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
  expect(done.status).toBe('deliveryFailed');
  expect(done.reason).toMatch(/The address is invalid and is now suppressed: 550 5\.1\.1 .*User unknown/);
  expect(done.deliveries).toEqual([
    expect.objectContaining({ channel: 'email', provider: `smtp:127.0.0.1:${system.sink.port}`, status: 'failed', attempts: 1 }),
  ]);

  const list = await system.api('GET', '/v1/suppressions?channel=email');
  expect(list.status).toBe(200);
  expect(list.body.items).toEqual([
    expect.objectContaining({
      channel: 'email',
      address: 'reject-550@example.com',
      source: `smtp:127.0.0.1:${system.sink.port}`,
      reason: expect.stringMatching(/^550 5\.1\.1/),
    }),
  ]);

  const triesBefore = tries.get('reject-550@example.com')?.length ?? 0;
  // Addresses compare case-insensitively.
  const again = await push('Reject-550@Example.com');
  const ignored = await waitForStatus(system, again, ['ignored', 'sent', 'deliveryFailed']);
  expect(ignored.status).toBe('ignored');
  expect(ignored.reason).toMatch(/^The address is suppressed \(quarantine\): 550 5\.1\.1/);
  expect(ignored.deliveries).toEqual([]);
  expect(tries.get('reject-550@example.com')?.length ?? 0).toBe(triesBefore);
});

test('552 mailbox full (a 5xx that is not about the address): deliveryFailed without retry or suppression', async () => {
  const id = await push('reject-552@example.com');
  const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
  expect(done.status).toBe('deliveryFailed');
  expect(done.reason).toMatch(/^Refused by smtp:.*552 5\.2\.2/);
  expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1 });
  const list = await system.api('GET', '/v1/suppressions?channel=email&address=reject-552@example.com');
  expect(list.body.items).toEqual([]);
});

test.each([
  ['421 at RCPT TO', 'busy-421@example.com', 'rcpt', { code: 421, message: '4.7.0 Try again later, closing connection' }],
  ['451 after DATA', 'busy-451@example.com', 'data', { code: 451, message: '4.3.0 Local error in processing, try again later' }],
] as const)('%s: retried (pending with the next attempt time, attempts on the delivery row), then sent once the relay accepts', async (_label, address, stage, reply) => {
  refusing.set(address, { stage, reply });
  const id = await push(address);
  const waiting = await waitForEvent(
    system,
    id,
    (e) => e.status === 'pending' && e.nextAttemptAt !== undefined && e.deliveries[0]?.attempts >= 1,
    'pending between attempts',
  );
  // The relay recovers while the event waits for its next attempt.
  refusing.delete(address);
  const failedAttempts = waiting.deliveries[0].attempts as number;
  expect(failedAttempts).toBeLessThan(ATTEMPTS);
  expect(waiting.reason).toMatch(new RegExp(`^Attempt ${failedAttempts} of ${ATTEMPTS} failed \\(${reply.code} `));
  expect(waiting.deliveries[0]).toMatchObject({ status: 'pending', error: expect.stringMatching(new RegExp(`^${reply.code} `)) });
  expect(Date.parse(waiting.nextAttemptAt)).toBeGreaterThan(Date.parse(waiting.updatedAt));

  const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
  expect(done.status).toBe('sent');
  expect(done.nextAttemptAt).toBeUndefined();
  expect(done.deliveries[0]).toMatchObject({ status: 'sent', attempts: failedAttempts + 1, providerMessageId: expect.any(String) });
  expect(received(address)).toHaveLength(1);
  const log = await attemptLog(id);
  expect(log.map((a) => a.outcome)).toEqual([...Array(failedAttempts).fill('transient'), 'sent']);
  expect(log[0]!.error).toMatch(new RegExp(`^${reply.code} `));
});

test('a relay that keeps answering 4xx: exponential backoff, each attempt recorded, deliveryFailed after DELIVERY_ATTEMPTS', async () => {
  const id = await push('reject-451@example.com');
  const done = await waitForStatus(system, id, ['sent', 'deliveryFailed'], 30_000);
  expect(done.status).toBe('deliveryFailed');
  expect(done.reason).toMatch(new RegExp(`^Gave up after ${ATTEMPTS} attempt\\(s\\); last error from smtp:127\\.0\\.0\\.1:\\d+: 451 4\\.3\\.0`));
  expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: ATTEMPTS, error: expect.stringMatching(/^451/) });
  expect(tries.get('reject-451@example.com')).toHaveLength(ATTEMPTS);

  const log = await attemptLog(id);
  expect(log).toHaveLength(ATTEMPTS);
  expect(log.every((a) => a.outcome === 'transient' && /^451/.test(a.error ?? ''))).toBe(true);
  // Retry n waits between half and all of 200 ms · 2^(n-1): the gaps at the relay grow.
  const at = tries.get('reject-451@example.com')!;
  for (let n = 1; n < ATTEMPTS; n++) {
    const gap = at[n]! - at[n - 1]!;
    expect(gap).toBeGreaterThanOrEqual(100 * 2 ** (n - 1) - 10);
    expect(gap).toBeLessThan(200 * 2 ** (n - 1) + 1000);
  }
  expect(received('reject-451@example.com')).toHaveLength(0);
});
