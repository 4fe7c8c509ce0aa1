/** RFC 9457 problem details: the body of every 4xx/5xx. */
import { Type, type Static } from '@sinclair/typebox';

export const FieldErrorSchema = Type.Object({
  path: Type.String({ description: 'Where the fault is, e.g. /events/3/email or ctx.items.' }),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { description: 'RFC 9457 problem details' },
);
export type Problem = Static<typeof Problem>;

/** Problem types are URNs of this project (no host to resolve). */
export const problemType = (slug: string) => `urn:message-center:problem:${slug}`;
