import { compileTemplate } from './compile-template';
import { prepareRenderer } from './prepare-renderer';
import { TemplateError } from './template-error';
import type { CompiledEmailTemplate } from './compiled-template';

const mjml = `<mjml>
  <mj-head><mj-preview>Preheader {{ ctx.firstName }}</mj-preview></mj-head>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hello {{ ctx.firstName }}!</mj-text>
        <mj-text><ul>{% for item in ctx.items %}<li>{{ item.name }}: {{ item.price }}</li>{% endfor %}</ul></mj-text>
        <mj-text>{{ ctx.note | raw }}</mj-text>
        <mj-button href="{{ ctx.url }}">Track order</mj-button>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

const ctx = {
  firstName: '<script>x</script>',
  items: [
    { name: 'Cap', price: 19.9 },
    { name: 'Mug & Co', price: 5 },
  ],
  note: '<em>thanks</em>',
  url: 'https://shop.test/track?id=1&lang=sv',
};

async function renderer(extra: Record<string, string> = {}) {
  return prepareRenderer(await compileTemplate('email', { subject: 'Hi {{ ctx.firstName }}', mjml, ...extra }));
}

describe('email rendering', () => {
  it('escapes values in the HTML but not in the subject or text', async () => {
    const message = await (await renderer({ text: 'Hi {{ ctx.firstName }}, {{ ctx.items.size }} items' })).render({ ctx });
    expect(message.html).toContain('Hello &lt;script&gt;x&lt;/script&gt;!');
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('<em>thanks</em>'); // `| raw`
    expect(message.subject).toBe('Hi <script>x</script>');
    expect(message.text).toBe('Hi <script>x</script>, 2 items');
  });

  it('loops over ctx.items', async () => {
    const message = await (await renderer()).render({ ctx });
    expect(message.html).toContain('<ul><li>Cap: 19.9</li><li>Mug &amp; Co: 5</li></ul>');
  });

  it('derives the text part from the personalized HTML, keeping links and dropping the preheader', async () => {
    const message = await (await renderer()).render({ ctx });
    expect(message.text).toBe(
      [
        'Hello <script>x</script>!',
        ' * Cap: 19.9',
        ' * Mug & Co: 5',
        '',
        'thanks',
        '',
        'Track order [https://shop.test/track?id=1&lang=sv]',
      ].join('\n'),
    );
  });

  it('collapses newlines in the subject and addresses, so data cannot inject headers', async () => {
    const r = await renderer({ from: '{{ ctx.from }}', replyTo: '{{ ctx.replyTo }}' });
    const message = await r.render({
      ctx: { ...ctx, firstName: 'Ann\r\nBcc: victim@example.com', from: 'Shop <shop@example.com>\nX-Evil: 1', replyTo: 'help@example.com' },
    });
    expect(message.subject).toBe('Hi Ann Bcc: victim@example.com');
    expect(message.from).toBe('Shop <shop@example.com> X-Evil: 1');
    expect(message.replyTo).toBe('help@example.com');
  });

  it('leaves out an address that renders empty, so the default sender applies', async () => {
    const message = await (await renderer({ from: '{{ ctx.sender }}' })).render({ ctx });
    expect(message).not.toHaveProperty('from');
    expect(message).not.toHaveProperty('replyTo');
  });

  it('renders missing variables empty and lists them', async () => {
    const message = await (await renderer()).render({ ctx: { items: [{ name: 'Cap' }] } });
    expect(message.subject).toBe('Hi');
    expect(message.html).toContain('Hello !');
    expect(message.html).toContain('<li>Cap: </li>');
    expect(message.missingVariables).toEqual(['ctx.firstName', 'item.price', 'ctx.note', 'ctx.url']);
  });

  it('sees the other event fields by name', async () => {
    const compiled = await compileTemplate('email', {
      subject: '{{ type }} {{ eventId }} {{ externalId }} {{ origin }} {{ locale }} {{ email }} {{ mobilePhone }}',
      mjml,
    });
    const message = await prepareRenderer(compiled).render({
      ctx,
      type: 'ORDER_CONFIRMATION',
      eventId: '42',
      externalId: 'order-1',
      origin: 'webshop',
      locale: 'sv',
      email: 'ann@example.com',
      mobilePhone: '+46701234567',
    });
    expect(message.subject).toBe('ORDER_CONFIRMATION 42 order-1 webshop sv ann@example.com +46701234567');
  });

  it('refuses a compiled template without its HTML (never compiled)', () => {
    const notCompiled = { channel: 'email', content: { subject: 's', mjml }, warnings: [] } as unknown as CompiledEmailTemplate;
    expect(() => prepareRenderer(notCompiled)).toThrow(TemplateError);
  });

  it('rejects, rather than hangs, on a render over its time limit', async () => {
    const hostile = await compileTemplate('email', {
      subject: '{% for a in (1..5000) %}{% for b in (1..5000) %}{{ b }}{% endfor %}{% endfor %}',
      mjml,
    });
    await expect(prepareRenderer(hostile).render({ ctx })).rejects.toMatchObject({
      // Typed, so the worker ends the event at once: the same render hits the same limit again.
      name: 'TemplateRenderError',
      limit: 'renderLimit',
      field: 'subject',
      message: expect.stringMatching(/^subject line 1, column \d+: rendering failed: the render time limit \(renderLimit, 500 ms per field\) was exceeded$/),
    });
  });
});
