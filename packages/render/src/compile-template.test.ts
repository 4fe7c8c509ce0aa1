import type { EmailContent } from '@mc/contracts';
import { compileTemplate } from './compile-template';
import { prepareRenderer } from './prepare-renderer';
import { TemplateError } from './template-error';

const body = (inner: string) =>
  `<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n${inner}\n      </mj-column>\n    </mj-section>\n  </mj-body>\n</mjml>\n`;

const email = (mjml: string, extra: Partial<EmailContent> = {}): EmailContent => ({ subject: 'Hi {{ ctx.firstName }}', mjml, ...extra });

async function compileFault(promise: Promise<unknown>): Promise<TemplateError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
}

describe('compileTemplate (email)', () => {
  const mjml = body(
    [
      '        <mj-text>Hello {{ ctx.firstName }}<ul>{% for item in ctx.items %}<li>{{ item.name }}</li>{% endfor %}</ul></mj-text>',
      '        <mj-raw>{% if ctx.vip %}</mj-raw>',
      '        <mj-text>Gold member</mj-text>',
      '        <mj-raw>{% endif %}</mj-raw>',
      '        <mj-button href="{{ ctx.orderUrl }}">Your order</mj-button>',
    ].join('\n'),
  );

  it('compiles the MJML once to HTML that still holds the Liquid intact', async () => {
    const compiled = await compileTemplate('email', email(mjml));
    expect(compiled.channel).toBe('email');
    expect(compiled.warnings).toEqual([]);
    expect(compiled.compiledHtml).toContain('{% for item in ctx.items %}<li>{{ item.name }}</li>{% endfor %}');
    expect(compiled.compiledHtml).toContain('{% if ctx.vip %}');
    expect(compiled.compiledHtml).toContain('{% endif %}');
    expect(compiled.compiledHtml).toContain('href="{{ ctx.orderUrl }}"');
    // Not minified: MJML's readable output, one element per line.
    expect(compiled.compiledHtml.split('\n').length).toBeGreaterThan(50);
  });

  it('returns a plain JSON value that survives a database round trip and still renders', async () => {
    const compiled = await compileTemplate('email', email(mjml, { text: 'Hi {{ ctx.firstName }}' }));
    const stored = JSON.parse(JSON.stringify(compiled)) as typeof compiled;
    expect(stored).toEqual(compiled);
    const message = await prepareRenderer(stored).render({
      ctx: { firstName: 'Ann', vip: true, orderUrl: 'https://shop.test/o/1?x=1&y=2', items: [{ name: 'Cap' }, { name: 'Mug' }] },
    });
    expect(message.html).toContain('<li>Cap</li><li>Mug</li>');
    expect(message.html).toContain('Gold member');
    expect(message.html).toContain('href="https://shop.test/o/1?x=1&amp;y=2"');
    const plain = await prepareRenderer(stored).render({ ctx: { firstName: 'Bo', items: [] } });
    expect(plain.html).not.toContain('Gold member');
  });

  it('keeps only the known content fields', async () => {
    const compiled = await compileTemplate('email', { ...email(mjml), extra: 'x' } as EmailContent);
    expect(Object.keys(compiled.content).sort()).toEqual(['mjml', 'subject']);
  });

  it('publishes with MJML attribute warnings, with their lines', async () => {
    const compiled = await compileTemplate(
      'email',
      email(body('        <mj-text padding-top="20">Hi</mj-text>\n        <mj-divider border-width="2" />')),
    );
    expect(compiled.warnings).toEqual([
      {
        field: 'mjml',
        line: 5,
        message: '<mj-text> Attribute padding-top has invalid value: 20 for type Unit, only accepts (px, %) units and 1 value(s)',
      },
      {
        field: 'mjml',
        line: 6,
        message: '<mj-divider> Attribute border-width has invalid value: 2 for type Unit, only accepts (px) units and 1 value(s)',
      },
    ]);
  });

  it('refuses an unknown element with its line', async () => {
    const err = await compileFault(compileTemplate('email', email(body('        <mj-text>a</mj-text>\n        <mj-txt>Hello</mj-txt>'))));
    expect(err).toMatchObject({ name: 'TemplateError', field: 'mjml', line: 6 });
    expect(err.message).toBe('mjml line 6: <mj-txt> is not an MJML element');
  });

  it('refuses markup MJML cannot parse', async () => {
    const unclosed = await compileFault(compileTemplate('email', email(body('        <mj-text>Hello'))));
    expect(unclosed.message).toBe('mjml line 5: <mj-text> is never closed (missing </mj-text>)');
    const notMjml = await compileFault(compileTemplate('email', email('<p>Hello</p>')));
    expect(notMjml).toMatchObject({ field: 'mjml', line: 1 });
    // Well-formed, but without a body MJML has nothing to render.
    const noBody = await compileFault(compileTemplate('email', email('<mjml><mj-head></mj-head></mjml>')));
    expect(noBody.message).toMatch(/^mjml: MJML cannot compile this template: Malformed MJML/);
  });

  it('refuses a Liquid syntax error in any field, with its line and column', async () => {
    const inMjml = await compileFault(compileTemplate('email', email(body('        <mj-text>{% if ctx.vip %}Gold</mj-text>'))));
    expect(inMjml).toMatchObject({ field: 'mjml', line: 5, column: 18 });
    expect(inMjml.message).toBe('mjml line 5, column 18: tag {% if ctx.vip %} not closed');

    const inSubject = await compileFault(compileTemplate('email', email(mjml, { subject: 'Order {{ ctx.id | money }}' })));
    expect(inSubject).toMatchObject({ field: 'subject', line: 1, column: 7 });
    expect(inSubject.message).toBe('subject line 1, column 7: unknown filter "money"');

    const inText = await compileFault(compileTemplate('email', email(mjml, { text: 'Hi\n{{ ctx.firstName' })));
    expect(inText).toMatchObject({ field: 'text', line: 2, column: 1 });

    const inFrom = await compileFault(compileTemplate('email', email(mjml, { from: '{% bogus %}' })));
    expect(inFrom.message).toBe('from line 1, column 1: unknown tag "bogus"');
  });

  it('refuses a Liquid tag that MJML would drop from an attribute', async () => {
    const err = await compileFault(
      compileTemplate('email', email(body('        <mj-image src="a.png" width="{% if ctx.big %}600px{% else %}300px{% endif %}" />'))),
    );
    expect(err).toMatchObject({ field: 'mjml', line: 5 });
    expect(err.message).toMatch(/^mjml line 5: Liquid \{% if ctx.big %\} is lost when MJML compiles the template/);
  });

  it('warns about a Liquid value that MJML drops from an attribute', async () => {
    const compiled = await compileTemplate('email', email(body('        <mj-image src="{{ ctx.img }}" width="{{ ctx.width }}px" />')));
    expect(compiled.compiledHtml).toContain('src="{{ ctx.img }}"');
    expect(compiled.warnings).toContainEqual({
      field: 'mjml',
      line: 5,
      column: 46,
      message: '{{ ctx.width }} does not appear in the compiled HTML — MJML dropped or rewrote the attribute it is in',
    });
  });

  it('accepts Liquid that MJML repeats (the title also goes into an aria-label)', async () => {
    const mjml = '<mjml><mj-head><mj-title>{% if ctx.vip %}VIP {% endif %}Order</mj-title></mj-head>' + body('<mj-text>x</mj-text>').slice(6);
    const compiled = await compileTemplate('email', email(mjml));
    expect(compiled.compiledHtml).toContain('<title>{% if ctx.vip %}VIP {% endif %}Order</title>');
    expect(compiled.compiledHtml).toContain('aria-label="{% if ctx.vip %}VIP {% endif %}Order"');
  });

  it('refuses Liquid that parses as written but not once MJML has moved it', async () => {
    // The preview text goes into the body, the title into <head> before it: {% endif %} ends up first.
    const mjml =
      '<mjml><mj-head><mj-preview>{% if ctx.vip %}</mj-preview><mj-title>{% endif %}</mj-title></mj-head>' + body('<mj-text>x</mj-text>').slice(6);
    const err = await compileFault(compileTemplate('email', email(mjml)));
    expect(err.field).toBe('mjml');
    expect(err.message).toMatch(/^mjml: after MJML compilation the Liquid no longer parses \(unknown tag "endif"\) — /);
  });

  it('adds the warnings of the template\'s test data when given, as publish shows them', async () => {
    const compiled = await compileTemplate('email', email(mjml), { testData: { ctx: { firstName: 'Ann', items: [{}] } } });
    expect(compiled.warnings).toEqual([
      { field: 'mjml', message: 'item.name is not defined in the test data' },
      { field: 'mjml', message: 'ctx.vip is not defined in the test data' },
      { field: 'mjml', message: 'ctx.orderUrl is not defined in the test data' },
    ]);
    const sms = await compileTemplate('sms', { text: 'Hej {{ ctx.firstName }} ✓' }, { testData: { ctx: { firstName: 'Åsa' } } });
    expect(sms.warnings).toEqual([expect.objectContaining({ field: 'text', message: expect.stringMatching(/^"✓" cannot be sent in GSM-7/) })]);
  });

  it('refuses content of the wrong shape, naming the field', async () => {
    const err = await compileFault(compileTemplate('email', { mjml } as EmailContent));
    expect(err).toMatchObject({ field: 'subject', message: 'subject: is required and must be text' });
  });
});

describe('compileTemplate (sms, push)', () => {
  it('checks the SMS text', async () => {
    await expect(compileTemplate('sms', { text: 'Code {{ ctx.code }}' })).resolves.toEqual({
      channel: 'sms',
      content: { text: 'Code {{ ctx.code }}' },
      warnings: [],
    });
    const err = await compileFault(compileTemplate('sms', { text: 'Code {{ ctx.code | bogus }}' }));
    expect(err).toMatchObject({ field: 'text', line: 1, column: 6 });
  });

  it('checks every push field, including the strings inside data', async () => {
    const content = { title: '{{ ctx.title }}', body: 'b', url: 'https://x.test/{{ ctx.id }}', data: { id: '{{ ctx.id }}', n: 1 } };
    const compiled = await compileTemplate('push', content);
    expect(compiled).toEqual({ channel: 'push', content, warnings: [] });
    const err = await compileFault(compileTemplate('push', { title: 't', body: 'b', data: { deep: { link: '{% if %}' } } }));
    expect(err).toMatchObject({ field: 'data.deep.link', line: 1 });
    expect(err.message).toMatch(/^data\.deep\.link line 1, column \d+: /);
  });

  it('refuses an unknown channel', async () => {
    const err = await compileFault(compileTemplate('fax' as 'sms', { text: 'x' }));
    expect(err).toMatchObject({ field: 'channel', message: 'channel: unknown channel "fax"' });
  });
});

describe('compileTemplate: sender headers', () => {
  const mjml = '<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>';
  const scope = (ctx: Record<string, unknown>) => ({ ctx, type: 'order', locale: 'en' }) as never;

  it('refuses, with the test data, a from that renders as more than one address, naming the field', async () => {
    const err = await compileFault(
      compileTemplate('email', email(mjml, { from: '{{ ctx.shop }} <no-reply@shop.example>' }), { testData: scope({ shop: 'attacker@evil.example, Shop' }) }),
    );
    expect(err.field).toBe('from');
    expect(err.message).toBe(
      'from: with the test data it renders as "attacker@evil.example, Shop <no-reply@shop.example>", which names more than one address: from must be exactly one mailbox (Name <address@domain>), so the send would fail',
    );
    await expect(
      compileTemplate('email', email(mjml, { from: '{{ ctx.shop }} <no-reply@shop.example>' }), { testData: scope({ shop: 'Shop' }) }),
    ).resolves.toMatchObject({ channel: 'email' });
  });

  it.each([
    ['replyTo', { replyTo: 'Team: a@shop.example, b@shop.example;' }, /is a group/],
    ['from', { from: 'Shop <>' }, /has an empty address/],
    ['from', { from: 'a@shop.example, b@shop.example' }, /names more than one address/],
  ])('refuses a %s without Liquid that is not one mailbox, test data or not', async (field, extra, message) => {
    const err = await compileFault(compileTemplate('email', email(mjml, extra)));
    expect(err).toMatchObject({ field, message: expect.stringMatching(message) });
  });

  it('cannot judge a from with Liquid without test data, and lets it through', async () => {
    await expect(compileTemplate('email', email(mjml, { from: '{{ ctx.sender }}' }))).resolves.toMatchObject({ channel: 'email' });
  });
});
