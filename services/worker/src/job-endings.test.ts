import type { Job } from 'bullmq';
import type { Logger } from '@mc/observability';
import { failedJobReason, onJobFailed } from './job-endings';

const logger = { error: () => undefined, warn: () => undefined } as unknown as Logger;

function setup() {
  const ended: Record<string, unknown>[] = [];
  const handler = onJobFailed({ events: { settleJob: async (job) => void ended.push(job) ?? true }, logger });
  const job = (extra: Record<string, unknown> = {}, data: Record<string, unknown> = {}) =>
    ({
      id: 'ev-42',
      attemptsMade: 1,
      opts: { attempts: 5 },
      finishedOn: undefined,
      data: { v: 1, id: '42', lane: 'realtime', acceptedAt: '2026-03-01T12:00:00.000Z', channel: 'email', event: { type: 'T' }, ...data },
      ...extra,
    }) as unknown as Job;
  return { handler, job, ended };
}

describe('a job that fails for good settles its event', () => {
  it('stalled too often: deliveryFailed with a reason an operator can act on', async () => {
    const { handler, job, ended } = setup();
    const error = Object.assign(new Error('job stalled more than allowable limit'), { name: 'UnrecoverableError' });
    await expect(handler(job({ finishedOn: Date.now() }), error)).resolves.toBe('deliveryFailed');
    expect(ended).toEqual([
      expect.objectContaining({ id: 42n, generation: 0, status: 'deliveryFailed', reason: failedJobReason('job stalled more than allowable limit') }),
    ]);
    expect(ended[0]!.reason).toMatch(/^Its worker stopped while holding it more than once/);
  });

  it('sent when the job data recorded a send, with the delivery it needs', async () => {
    const { handler, job, ended } = setup();
    const sent = { provider: 'smtp', providerMessageId: '<m@x>', at: '2026-03-01T12:00:01.000Z' };
    await expect(handler(job({ attemptsMade: 5 }, { sent, generation: 2 }), new Error('Connection terminated'))).resolves.toBe('sent');
    expect(ended[0]).toMatchObject({ status: 'sent', reason: null, generation: 2, attempt: { deliveryStatus: 'sent', providerMessageId: '<m@x>' } });
  });

  it('a failure BullMQ will retry (finishedOn unset or null) changes nothing', async () => {
    const { handler, job, ended } = setup();
    await expect(handler(job({ finishedOn: null }), new Error('redis blip'))).resolves.toBeUndefined();
    await expect(handler(undefined, new Error('x'))).resolves.toBeUndefined();
    expect(ended).toEqual([]);
  });
});
