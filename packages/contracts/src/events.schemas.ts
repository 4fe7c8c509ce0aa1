/** Events API: responses and queries. The request body is EventInput (event-input.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { EVENT_STATUSES, CHANNELS } from '@mc/core';
import { BatchEventInput } from './event-input';
import { Problem } from './problem';

export const MAX_BATCH_EVENTS = 1000;

const StatusSchema = Type.Union(EVENT_STATUSES.map((s) => Type.Literal(s)));
const ChannelSchema = Type.Union(CHANNELS.map((c) => Type.Literal(c)));

export const EventAccepted = Type.Object({
  id: Type.String({ description: '64-bit event id as a decimal string.' }),
  status: Type.Literal('pending'),
});
export type EventAccepted = Static<typeof EventAccepted>;

export const BatchRequest = Type.Object(
  { events: Type.Array(BatchEventInput, { minItems: 1, maxItems: MAX_BATCH_EVENTS }) },
  { additionalProperties: false },
);

export const BatchResult = Type.Union([
  Type.Object({ index: Type.Integer(), id: Type.String(), status: Type.Literal('pending') }),
  Type.Object({ index: Type.Integer(), error: Problem }),
]);
export type BatchResult = Static<typeof BatchResult>;

export const BatchAccepted = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  results: Type.Array(BatchResult),
});
export type BatchAccepted = Static<typeof BatchAccepted>;

export const DeliveryView = Type.Object({
  channel: ChannelSchema,
  provider: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  providerMessageId: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  sentAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** Every attempt and later report (bounce, complaint), oldest first: the event's timeline. */
  attemptLog: Type.Optional(
    Type.Array(
      Type.Object({
        at: Type.String({ format: 'date-time' }),
        provider: Type.String(),
        outcome: Type.String({ description: 'sent, transient, rate-limited, permanent, address-invalid, or a feedback note' }),
        error: Type.Optional(Type.String()),
      }),
    ),
  ),
});

/**
 * Where the event's job is in its queue, read from BullMQ when the event is not yet ended:
 * waiting for a worker, delayed until `nextAttemptAt` (a retry, a hold, a schedule), being
 * processed, or failed (with BullMQ's reason). Absent for ended events.
 */
export const QueueStateView = Type.Object({
  state: Type.Union(
    ['waiting', 'delayed', 'active', 'failed', 'completed', 'prioritized', 'waiting-children', 'missing'].map((s) => Type.Literal(s)),
    { description: 'BullMQ state of the job; `missing`: no job (the sweeper settles or re-enqueues the event within minutes).' },
  ),
  nextAttemptAt: Type.Optional(Type.String({ format: 'date-time' })),
  failedReason: Type.Optional(Type.String()),
});
export type QueueStateView = Static<typeof QueueStateView>;

export const EventView = Type.Object({
  id: Type.String(),
  type: Type.String(),
  status: StatusSchema,
  lane: Type.String(),
  channel: Type.Union([ChannelSchema, Type.Null()]),
  externalId: Type.Union([Type.String(), Type.Null()]),
  origin: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  reason: Type.Optional(Type.String()),
  templateVersion: Type.Optional(Type.Integer()),
  nextAttemptAt: Type.Optional(Type.String({ format: 'date-time' })),
  scheduled: Type.Optional(Type.String({ format: 'date-time' })),
  queue: Type.Optional(QueueStateView),
  /** The event as accepted (its addresses, ctx, ...), on the single-event read only. */
  payload: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  deliveries: Type.Array(DeliveryView),
});
export type EventView = Static<typeof EventView>;

export const EventIdParams = Type.Object({ id: Type.String() });

export const EventListQuery = Type.Object({
  type: Type.Optional(Type.String()),
  status: Type.Optional(StatusSchema),
  externalId: Type.Optional(Type.String()),
  recipient: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 2000,
      description: 'The channel address the event was sent to: an email (any case), a phone number (normalized to E.164), a web-push endpoint or an SNS endpoint ARN. Exact match.',
    }),
  ),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ description: 'nextCursor of the previous page.' })),
});
export type EventListQuery = Static<typeof EventListQuery>;

export const EventPage = Type.Object({
  items: Type.Array(Type.Omit(EventView, ['deliveries', 'payload'])),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
