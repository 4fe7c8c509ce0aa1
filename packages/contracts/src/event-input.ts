/**
 * The event an upstream system pushes, as accepted by REST (`POST /v1/events`, batch items)
 * and produced by the SOAP mapping. One schema serves Fastify validation, the OpenAPI docs
 * and the worker's check of job payloads.
 */
import { Type, type Static } from '@sinclair/typebox';
import './formats';

/** Idempotency keys: visible ASCII, inner spaces allowed (at most 255 characters by maxLength). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]([\\x20-\\x7E]*[\\x21-\\x7E])?$';
export const EVENT_TYPE_KEY_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]{0,63}$';
export const LOCALE_PATTERN = '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$';
/** Names and Adobe's numeric codes (0 email, 1 SMS, 41 iOS push, 42 Android push). */
export const WISHED_CHANNEL_VALUES = ['email', 'sms', 'push', '0', '1', '41', '42'] as const;

export const WebPushSubscription = Type.Object(
  {
    endpoint: Type.String({ format: 'uri', pattern: '^https://', maxLength: 2000 }),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    keys: Type.Object({
      p256dh: Type.String({ minLength: 1, maxLength: 200 }),
      auth: Type.String({ minLength: 1, maxLength: 100 }),
    }),
  },
  { additionalProperties: false },
);

export const PushAddress = Type.Union(
  [
    Type.Object({ webPush: WebPushSubscription }, { additionalProperties: false }),
    Type.Object(
      { snsEndpointArn: Type.String({ pattern: '^arn:aws[a-z-]*:sns:', maxLength: 500 }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'A browser push subscription, or an SNS platform endpoint for mobile push.' },
);
export type PushAddress = Static<typeof PushAddress>;

export const EventInput = Type.Object(
  {
    type: Type.String({ pattern: EVENT_TYPE_KEY_PATTERN, description: 'An event-type key.' }),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    mobilePhone: Type.Optional(Type.String({ maxLength: 32 })),
    push: Type.Optional(PushAddress),
    wishedChannel: Type.Optional(
      Type.Union(
        [
          Type.Union(WISHED_CHANNEL_VALUES.map((v) => Type.Literal(v))),
          Type.Union([0, 1, 41, 42].map((v) => Type.Literal(v))),
        ],
        { description: 'email | sms | push, or Adobe codes 0, 1, 41, 42. Default email.' },
      ),
    ),
    externalId: Type.Optional(Type.String({ maxLength: 255 })),
    origin: Type.Optional(Type.String({ maxLength: 255 })),
    locale: Type.Optional(Type.String({ pattern: LOCALE_PATTERN, maxLength: 35 })),
    scheduled: Type.Optional(Type.String({ format: 'date-time', description: 'Send at this time.' })),
    expiration: Type.Optional(Type.String({ format: 'date-time', description: 'Not sent after this time (ends tooOld).' })),
    ctx: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Data the template personalises with.' })),
  },
  { additionalProperties: false },
);
export type EventInput = Static<typeof EventInput>;

/** A batch item may carry its own idempotency key (REST single events use the header). */
export const BatchEventInput = Type.Composite(
  [
    EventInput,
    Type.Object({
      idempotencyKey: Type.Optional(
        Type.String({ minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN, description: 'Same rules as the Idempotency-Key header.' }),
      ),
    }),
  ],
  { additionalProperties: false },
);
export type BatchEventInput = Static<typeof BatchEventInput>;
