/**
 * What a template holds per channel. Every string is a Liquid template over the event
 * (`ctx`, `email`, `mobilePhone`, `externalId`, `origin`, `locale`, `type`).
 */
import { Type, type Static } from '@sinclair/typebox';

export const EmailContent = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 2000 }),
    mjml: Type.String({ minLength: 1, maxLength: 1_000_000 }),
    text: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'Text part; generated from the HTML when absent.' })),
    from: Type.Optional(Type.String({ maxLength: 500, description: 'Defaults to MAIL_FROM.' })),
    replyTo: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type EmailContent = Static<typeof EmailContent>;

export const SmsContent = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);
export type SmsContent = Static<typeof SmsContent>;

export const PushContent = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 1000 }),
    body: Type.String({ maxLength: 4000 }),
    url: Type.Optional(Type.String({ maxLength: 2000 })),
    icon: Type.Optional(Type.String({ maxLength: 2000 })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type PushContent = Static<typeof PushContent>;

export type ChannelContent = EmailContent | SmsContent | PushContent;

/** Content types by channel, for code that switches on the channel. */
export interface ContentByChannel {
  email: EmailContent;
  sms: SmsContent;
  push: PushContent;
}
