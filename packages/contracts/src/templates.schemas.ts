/** Admin API: templates, their versions and publication. */
import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS } from '@mc/core';
import { EVENT_TYPE_KEY_PATTERN, LOCALE_PATTERN } from './event-input';

const ChannelSchema = Type.Union(CHANNELS.map((c) => Type.Literal(c)));

/** Content is checked against the channel's own schema (template-content.ts) by the handler,
 * so a fault is reported at its path (`/content/subject`) rather than as a union mismatch. */
const ContentBody = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Channel content: see EmailContent, SmsContent, PushContent.',
});

const TestData = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Sample event used by preview and publish warnings: { ctx, email, ... }.',
});

export const TemplateCreate = Type.Object(
  {
    eventType: Type.String({ pattern: EVENT_TYPE_KEY_PATTERN }),
    channel: ChannelSchema,
    locale: Type.Optional(Type.String({ pattern: LOCALE_PATTERN, maxLength: 35 })),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    content: ContentBody,
    testData: Type.Optional(TestData),
    seedAddresses: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type TemplateCreate = Static<typeof TemplateCreate>;

export const TemplateUpdate = Type.Partial(
  Type.Object({
    name: Type.String({ minLength: 1, maxLength: 200 }),
    locale: Type.String({ pattern: `(${LOCALE_PATTERN})|^$`, maxLength: 35 }),
    content: ContentBody,
    testData: TestData,
    seedAddresses: Type.Array(Type.String({ maxLength: 320 }), { maxItems: 50 }),
  }),
  { additionalProperties: false },
);
export type TemplateUpdate = Static<typeof TemplateUpdate>;

export const TemplateView = Type.Object({
  id: Type.String(),
  eventType: Type.String(),
  channel: ChannelSchema,
  locale: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  content: Type.Record(Type.String(), Type.Unknown()),
  testData: Type.Union([TestData, Type.Null()]),
  seedAddresses: Type.Array(Type.String()),
  state: Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('paused')]),
  publishedVersion: Type.Union([Type.Integer(), Type.Null()]),
  latestVersion: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type TemplateView = Static<typeof TemplateView>;

export const TemplateWarning = Type.Object({
  field: Type.String(),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

export const VersionView = Type.Object({
  version: Type.Integer(),
  templateId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  published: Type.Boolean(),
  warnings: Type.Array(TemplateWarning),
  /** The frozen content, so a version can be compared with the draft (the console's diff). */
  content: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type VersionView = Static<typeof VersionView>;

export const TemplateIdParams = Type.Object({ id: Type.String() });
export const TemplateVersionParams = Type.Object({ id: Type.String(), n: Type.Integer({ minimum: 1 }) });

export const TemplateListQuery = Type.Object({
  eventType: Type.Optional(Type.String()),
  channel: Type.Optional(ChannelSchema),
});

export const PreviewRequest = Type.Object(
  {
    ctx: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    email: Type.Optional(Type.String()),
    mobilePhone: Type.Optional(Type.String()),
    externalId: Type.Optional(Type.String()),
    origin: Type.Optional(Type.String()),
    locale: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type PreviewRequest = Static<typeof PreviewRequest>;

export const ProofRequest = Type.Object(
  {
    to: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { minItems: 1, maxItems: 20 })),
    ctx: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type ProofRequest = Static<typeof ProofRequest>;
