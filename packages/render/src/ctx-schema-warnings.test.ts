import { ctxSchemaWarnings } from './ctx-schema-warnings';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    firstName: { type: 'string' },
    order: { type: 'object', properties: { number: { type: 'string' } }, additionalProperties: false },
    items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
    extra: { type: 'object' },
  },
};

describe('ctxSchemaWarnings', () => {
  it('warns about ctx variables the schema does not define, per field', () => {
    const warnings = ctxSchemaWarnings(
      {
        subject: 'Hi {{ ctx.frist }} {{ ctx.firstName }}',
        mjml: '<mjml>{{ ctx.order.number }} {{ ctx.order.date }} {% for i in ctx.items %}{{ i.name }}{% endfor %} {{ ctx.extra.any }} {{ ctx.items.size }}</mjml>',
      },
      schema,
    );
    expect(warnings).toEqual([
      { field: 'subject', message: `ctx.frist is not defined by the event type's ctxSchema (no "frist")` },
      { field: 'mjml', message: `ctx.order.date is not defined by the event type's ctxSchema (no "date")` },
    ]);
  });

  it('says nothing without a schema or for non-ctx variables', () => {
    expect(ctxSchemaWarnings({ text: '{{ ctx.anything }}' }, null)).toEqual([]);
    expect(ctxSchemaWarnings({ text: '{{ email }} {{ externalId }}' }, schema)).toEqual([]);
  });
});
