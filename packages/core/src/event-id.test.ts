import { EventIdGenerator, eventIdTime, firstEventIdAt, parseEventId, EVENT_ID_EPOCH_MS } from './event-id';

describe('EventIdGenerator', () => {
  it('makes strictly increasing positive ids within one millisecond and across them', () => {
    let now = EVENT_ID_EPOCH_MS + 1_000;
    const ids = new EventIdGenerator(7, () => now);
    const seen: bigint[] = [];
    for (let i = 0; i < 5000; i++) seen.push(ids.next()); // > 4096: spills into the next ms
    now += 1;
    seen.push(ids.next());
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
    expect(seen.every((id) => id > 0n && id <= 0x7fffffffffffffffn)).toBe(true);
  });

  it('stays monotonic when the clock steps back', () => {
    let now = EVENT_ID_EPOCH_MS + 50_000;
    const ids = new EventIdGenerator(1, () => now);
    const a = ids.next();
    now -= 10_000;
    expect(ids.next() > a).toBe(true);
  });

  it('encodes the creation time and the node id', () => {
    const at = Date.UTC(2026, 10, 27, 12, 0, 0);
    const id = new EventIdGenerator(1023, () => at).next();
    expect(eventIdTime(id).getTime()).toBe(at);
    expect(Number((id >> 12n) & 1023n)).toBe(1023);
  });

  it('rejects node ids outside 10 bits', () => {
    expect(() => new EventIdGenerator(1024)).toThrow(RangeError);
  });
});

describe('parseEventId', () => {
  it('accepts positive int64 decimals only', () => {
    expect(parseEventId('42')).toBe(42n);
    expect(parseEventId('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseEventId('9223372036854775808')).toBeUndefined();
    expect(parseEventId('0')).toBeUndefined();
    expect(parseEventId('-1')).toBeUndefined();
    expect(parseEventId('12abc')).toBeUndefined();
  });
});

describe('firstEventIdAt', () => {
  it('bounds the ids of a time range: every id generated before the time is below it, none after', () => {
    const at = Date.UTC(2026, 10, 30);
    const before = new EventIdGenerator(1023, () => at - 1);
    for (let i = 0; i < 4096; i++) expect(before.next() < firstEventIdAt(at)).toBe(true); // a full millisecond of ids
    expect(new EventIdGenerator(0, () => at).next()).toBe(firstEventIdAt(new Date(at)));
    expect(eventIdTime(firstEventIdAt(at)).getTime()).toBe(at);
    expect(firstEventIdAt(EVENT_ID_EPOCH_MS - 86_400_000)).toBe(0n);
  });
});
