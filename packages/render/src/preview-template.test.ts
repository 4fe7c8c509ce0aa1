import { previewTemplate } from './preview-template';
import { TemplateError } from './template-error';

const mjml = `<mjml>
  <mj-body>
    <mj-section padding-top="20">
      <mj-column>
        <mj-text>Hello {{ ctx.firstName }}, order {{ ctx.orderNumber }}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

describe('previewTemplate', () => {
  it('renders the draft with the test data and lists every warning', async () => {
    const preview = await previewTemplate(
      'email',
      { subject: 'Hi {{ ctx.firstName }} {{ ctx.lastName }}', mjml, text: '{{ ctx.firstName }}' },
      { ctx: { orderNumber: 'A-1' } },
    );
    expect(preview.subject).toBe('Hi');
    expect(preview.html).toContain('Hello , order A-1');
    expect(preview.missingVariables).toEqual(['ctx.firstName', 'ctx.lastName']);
    expect(preview.warnings).toEqual([
      {
        field: 'mjml',
        line: 3,
        message: '<mj-section> Attribute padding-top has invalid value: 20 for type Unit, only accepts (px, %) units and 1 value(s)',
      },
      { field: 'mjml', message: 'ctx.firstName is not defined in the test data' },
      { field: 'subject', message: 'ctx.firstName is not defined in the test data' },
      { field: 'subject', message: 'ctx.lastName is not defined in the test data' },
      { field: 'text', message: 'ctx.firstName is not defined in the test data' },
    ]);
  });

  it('warns when from or replyTo does not render as exactly one mailbox (publish refuses it)', async () => {
    const preview = await previewTemplate(
      'email',
      { subject: 's', mjml, from: '{{ ctx.shop }} <no-reply@shop.example>', replyTo: 'a@shop.example, b@shop.example' },
      { ctx: { shop: 'attacker@evil.example, Shop' } },
    );
    expect(preview.from).toBe('attacker@evil.example, Shop <no-reply@shop.example>');
    expect(preview.warnings).toEqual(
      expect.arrayContaining([
        {
          field: 'from',
          message:
            'renders as "attacker@evil.example, Shop <no-reply@shop.example>", which names more than one address: from must be exactly one mailbox (Name <address@domain>), so the send would fail',
        },
        expect.objectContaining({ field: 'replyTo', message: expect.stringMatching(/names more than one address/) }),
      ]),
    );
    const fine = await previewTemplate('email', { subject: 's', mjml, from: '{{ ctx.shop }} <no-reply@shop.example>' }, { ctx: { shop: 'Shop' } });
    expect(fine.warnings.filter((w) => w.field === 'from')).toEqual([]);
  });

  it('reports a fault as a TemplateError with its location, like publish', async () => {
    await expect(previewTemplate('email', { subject: 's', mjml: mjml.replace('mj-text>Hello', 'mj-txt>Hello') }, {})).rejects.toBeInstanceOf(
      TemplateError,
    );
    await expect(previewTemplate('sms', { text: 'Hi\n{{ ctx.firstName | nope }}' }, {})).rejects.toMatchObject({
      field: 'text',
      line: 2,
      column: 1,
      message: 'text line 2, column 1: unknown filter "nope"',
    });
  });

  it('gives an SMS its segments and encoding, and says which characters force UCS-2', async () => {
    const preview = await previewTemplate('sms', { text: 'Hej {{ ctx.firstName }} 😀' }, { ctx: { firstName: 'Åsa' } });
    expect(preview).toMatchObject({ text: 'Hej Åsa 😀', encoding: 'UCS-2', segments: 1 });
    expect(preview.warnings).toEqual([
      { field: 'text', message: '"😀" cannot be sent in GSM-7, so the SMS goes as UCS-2 (70 characters per SMS instead of 160): 1 part(s)' },
    ]);
    const gsm = await previewTemplate('sms', { text: 'Hej {{ ctx.firstName }}' }, { ctx: { firstName: 'Åsa' } });
    expect(gsm).toMatchObject({ encoding: 'GSM-7', segments: 1, warnings: [] });
  });

  it('gives a push its payload size and warns over 4 KB', async () => {
    const small = await previewTemplate('push', { title: 'Hi', body: '{{ ctx.body }}' }, { ctx: { body: 'short' } });
    expect(small).toMatchObject({ payloadBytes: JSON.stringify({ title: 'Hi', body: 'short' }).length, warnings: [] });
    const big = await previewTemplate('push', { title: 'Hi', body: '{{ ctx.body }}' }, { ctx: { body: 'x'.repeat(5000) } });
    expect(big.payloadBytes).toBe(5024);
    expect(big.warnings).toEqual([
      {
        field: 'payload',
        message: 'the push payload is 5024 bytes, over the 4096-byte web push limit — push services may refuse it; shorten the body or data',
      },
    ]);
  });
});
