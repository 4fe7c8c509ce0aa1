/** Admin API: event types. */
import { Type, type Static } from '@sinclair/typebox';
import { EVENT_TYPE_KEY_PATTERN } from './event-input';

export const EventTypeCreate = Type.Object(
  {
    key: Type.String({ pattern: EVENT_TYPE_KEY_PATTERN }),
    label: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    // No schema default: it would be filled into a PATCH too and re-enable a disabled type.
    enabled: Type.Optional(Type.Boolean({ description: 'Default true when creating.' })),
    ctxSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema for ctx.' })),
    maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type EventTypeCreate = Static<typeof EventTypeCreate>;

export const EventTypeUpdate = Type.Partial(Type.Omit(EventTypeCreate, ['key']), { additionalProperties: false });
export type EventTypeUpdate = Static<typeof EventTypeUpdate>;

export const EventTypeView = Type.Object({
  key: Type.String(),
  label: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean(),
  ctxSchema: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  maxAgeSeconds: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type EventTypeView = Static<typeof EventTypeView>;

export const EventTypeKeyParams = Type.Object({ key: Type.String() });
