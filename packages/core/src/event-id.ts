/**
 * Time-ordered 64-bit event ids: 41 bits of milliseconds since EPOCH, 10 bits of node id,
 * 12 bits of sequence. Always positive as a signed 64-bit integer, so the same number is the
 * database key, the BullMQ job id and Adobe's `plId` (xsd:long).
 */
export const EVENT_ID_EPOCH_MS = Date.UTC(2024, 0, 1);
const NODE_BITS = 10n;
const SEQUENCE_BITS = 12n;
const MAX_NODE = (1 << Number(NODE_BITS)) - 1;
const MAX_SEQUENCE = (1 << Number(SEQUENCE_BITS)) - 1;

export class EventIdGenerator {
  private lastMs = -1;
  private sequence = 0;

  /** @param nodeId 0..1023, unique among the processes that generate ids at the same time. */
  constructor(
    private readonly nodeId: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE) {
      throw new RangeError(`nodeId must be an integer in 0..${MAX_NODE}, got ${nodeId}`);
    }
  }

  next(): bigint {
    let ms = this.now() - EVENT_ID_EPOCH_MS;
    if (ms < this.lastMs) ms = this.lastMs; // the clock stepped back: stay monotonic
    if (ms === this.lastMs) {
      this.sequence = (this.sequence + 1) & MAX_SEQUENCE;
      if (this.sequence === 0) ms = this.lastMs + 1; // 4096 ids in one ms: borrow the next ms
    } else {
      this.sequence = 0;
    }
    this.lastMs = ms;
    return (
      (BigInt(ms) << (NODE_BITS + SEQUENCE_BITS)) |
      (BigInt(this.nodeId) << SEQUENCE_BITS) |
      BigInt(this.sequence)
    );
  }
}

/** The creation time encoded in an event id. */
export function eventIdTime(id: bigint): Date {
  return new Date(Number(id >> (NODE_BITS + SEQUENCE_BITS)) + EVENT_ID_EPOCH_MS);
}

/**
 * The smallest id generated at or after `time`: every id of an event accepted before `time` is
 * below it, so a time range is an id range (what the event log is partitioned by). Times before
 * the epoch give 0.
 */
export function firstEventIdAt(time: Date | number): bigint {
  const ms = Math.max(0, Math.floor(typeof time === 'number' ? time : time.getTime()) - EVENT_ID_EPOCH_MS);
  return BigInt(ms) << (NODE_BITS + SEQUENCE_BITS);
}

/** Parses an id given as a decimal string; undefined when it is not a positive int64. */
export function parseEventId(text: string): bigint | undefined {
  if (!/^[1-9][0-9]{0,18}$/.test(text)) return undefined;
  const id = BigInt(text);
  return id <= 0x7fffffffffffffffn ? id : undefined;
}
