import { EVENT_ID_EPOCH_MS, EventIdGenerator } from '@mc/core';
import { EVENT_LOG_PARTITIONING, dayAt, dayOf, parseRangeBound, partitionName } from './event-log-days';
import { EVENT_ID_TIME_SKEW_MS, eventIdRange } from './events.repository';

describe('the event log days', () => {
  it('maps a UTC day to the id range of the events accepted in it', () => {
    const day = dayOf(new Date('2026-11-30T13:45:00Z'));
    expect(day.suffix).toBe('20261130');
    expect(partitionName('events', day)).toBe('events_p20261130');
    const start = Date.parse('2026-11-30T00:00:00Z');
    const ids = (at: number) => new EventIdGenerator(1023, () => at).next();
    expect(ids(start) >= day.from && ids(start) < day.to).toBe(true);
    expect(ids(start - 1) < day.from).toBe(true);
    expect(ids(start + 86_400_000 - 1) < day.to).toBe(true);
    expect(ids(start + 86_400_000)).toBeGreaterThanOrEqual(day.to);
    // Consecutive days share their bound, so the partitions leave no gap.
    expect(dayAt(day.index + 1).from).toBe(day.to);
    expect(dayAt(0)).toMatchObject({ suffix: '20240101', from: 0n });
    expect(dayOf(EVENT_ID_EPOCH_MS).index).toBe(0);
  });

  it('reads the bounds Postgres prints for a partition, and nothing else', () => {
    expect(parseRangeBound(`FOR VALUES FROM ('7290145632919045120') TO ('7290508012305530880')`)).toEqual({
      from: 7290145632919045120n,
      to: 7290508012305530880n,
    });
    expect(parseRangeBound('DEFAULT')).toBeUndefined();
    expect(parseRangeBound(`FOR VALUES FROM (MINVALUE) TO ('5')`)).toBeUndefined();
  });

  it('declares both tables partitioned by their event id, with a default partition', () => {
    expect(EVENT_LOG_PARTITIONING).toEqual({
      events: { strategy: 'range', columns: ['id'], defaultPartition: true },
      deliveries: { strategy: 'range', columns: ['eventId'], defaultPartition: true },
    });
  });
});

describe('eventIdRange', () => {
  const since = new Date('2026-11-30T01:00:00Z');
  const until = new Date('2026-11-30T02:00:00Z');

  it('bounds the ids by the time window widened by the skew between createdAt and the id', () => {
    const range = eventIdRange({ since, until });
    const idAt = (ms: number) => new EventIdGenerator(0, () => ms).next();
    // An event accepted (createdAt) inside the window whose id was drawn up to the skew later or earlier.
    expect(idAt(since.getTime() - EVENT_ID_TIME_SKEW_MS)).toBeGreaterThanOrEqual(range.gte!);
    expect(idAt(until.getTime() + EVENT_ID_TIME_SKEW_MS - 1) < range.lt!).toBe(true);
    expect(idAt(since.getTime() - EVENT_ID_TIME_SKEW_MS - 1) < range.gte!).toBe(true);
  });

  it('takes the tighter of the window and the cursor, and nothing when neither is given', () => {
    expect(eventIdRange({})).toEqual({});
    expect(eventIdRange({ before: 42n })).toEqual({ lt: 42n });
    expect(eventIdRange({ until, before: 42n })).toEqual({ lt: 42n });
    const far = eventIdRange({ until }).lt! + 1n;
    expect(eventIdRange({ until, before: far }).lt).toBe(eventIdRange({ until }).lt);
    expect(eventIdRange({ since }).lt).toBeUndefined();
  });
});
