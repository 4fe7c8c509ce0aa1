// The public receipt template from mjmlio/email-templates, its Mailjet placeholders turned
// into Liquid: publish → render, end to end, with the validation warnings it really has.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mjml2html from 'mjml';
import { compileTemplate } from './compile-template';
import { prepareRenderer } from './prepare-renderer';

// Counts MJML runs (the real compiler underneath) to show that rendering never compiles.
jest.mock('mjml', () => {
  const actual = jest.requireActual<typeof import('mjml')>('mjml');
  return jest.fn((...args: Parameters<typeof actual>) => actual(...args));
});

const FIXTURE = path.resolve(__dirname, '__fixtures__/receipt-email.mjml');

const PLACEHOLDERS: Record<string, string> = {
  '[[FirstName]]': '{{ ctx.firstName }}',
  '[[OrderNumber]]': '{{ ctx.orderNumber }}',
  '[[OrderDate]]': "{{ ctx.orderDate | date: '%Y-%m-%d' }}",
  '[[TotalPrice]]': '{{ ctx.totalPrice }}',
  '[[CompanyName]]': '{{ ctx.companyName }}',
};

function receiptMjml(): string {
  let mjml = readFileSync(FIXTURE, 'utf8');
  for (const [placeholder, liquid] of Object.entries(PLACEHOLDERS)) mjml = mjml.split(placeholder).join(liquid);
  return mjml;
}

const content = () => ({ subject: 'Your receipt {{ ctx.orderNumber }}, {{ ctx.firstName }}', mjml: receiptMjml() });

const ctx = {
  firstName: '<script>alert("x")</script> Ann',
  orderNumber: 'A-1042',
  orderDate: '2026-11-27T10:00:00Z',
  totalPrice: '19.90 €',
  companyName: 'Shop & Co',
};

describe('receipt-email.mjml', () => {
  it('has no placeholder left once the Liquid is in', () => {
    expect(receiptMjml()).not.toMatch(/\[\[\w+\]\]/);
  });

  it('publishes, with the MJML validation warnings and their line numbers', async () => {
    const compiled = await compileTemplate('email', content());
    expect(compiled.warnings.length).toBeGreaterThan(0);
    for (const warning of compiled.warnings) {
      expect(warning).toEqual({ field: 'mjml', line: expect.any(Number), message: expect.any(String) });
    }
    expect(compiled.warnings).toContainEqual({ field: 'mjml', line: 2, message: '<mj-body> Attribute font-size is illegal' });
    expect(compiled.warnings).toContainEqual({
      field: 'mjml',
      line: 3,
      message: '<mj-section> Attribute padding-top has invalid value: 20 for type Unit, only accepts (px, %) units and 1 value(s)',
    });
    for (const liquid of Object.values(PLACEHOLDERS)) expect(compiled.compiledHtml).toContain(liquid);
  });

  it('renders personalized: escaped in the HTML, plain in the subject and text', async () => {
    const message = await prepareRenderer(await compileTemplate('email', content())).render({ ctx, email: 'ann@example.com' });

    expect(message.subject).toBe('Your receipt A-1042, <script>alert("x")</script> Ann');
    expect(message.html).toContain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Ann');
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('>A-1042</div>');
    expect(message.html).toContain('>2026-11-27</div>');
    expect(message.html).toContain('>19.90 €</div>');
    expect(message.html).toContain('The Shop &amp; Co Team');
    expect(message.html).not.toMatch(/\{\{|\{%/);

    expect(message.text).toContain('<script>alert("x")</script> Ann');
    expect(message.text).toContain('Order Number\nA-1042');
    expect(message.text).toContain('Download Receipt [https://mjml.io]');
    expect(message.text).toContain('The Shop & Co Team');
    expect(message.missingVariables).toEqual([]);
  });

  it('compiles MJML once at publish and never while rendering (micro-check: correctness, not timing)', async () => {
    const mjmlRuns = mjml2html as unknown as jest.Mock;
    mjmlRuns.mockClear();
    const renderer = prepareRenderer(await compileTemplate('email', content()));
    expect(mjmlRuns).toHaveBeenCalledTimes(1);

    const names = Array.from({ length: 200 }, (_, i) => `Customer ${i}`);
    const messages = await Promise.all(names.map((firstName, i) => renderer.render({ ctx: { ...ctx, firstName, orderNumber: `A-${i}` } })));
    expect(mjmlRuns).toHaveBeenCalledTimes(1);
    messages.forEach((message, i) => {
      expect(message.subject).toBe(`Your receipt A-${i}, Customer ${i}`);
      expect(message.html).toContain(`>Customer ${i}</p>`);
    });
    // Same input, same output: the prepared renderer keeps no state between messages.
    const again = await renderer.render({ ctx: { ...ctx, firstName: names[7], orderNumber: 'A-7' } });
    expect(again).toEqual(messages[7]);
  });
});
