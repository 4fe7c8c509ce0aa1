import { checkMjmlMarkup } from './mjml-markup-check';
import { MJML_ELEMENTS, MJML_ENDING_ELEMENTS } from './mjml-elements';
import { TemplateError } from './template-error';

function fault(source: string): TemplateError {
  try {
    checkMjmlMarkup(source);
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
}

const wrap = (body: string) => `<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n${body}\n</mj-column>\n</mj-section>\n</mj-body>\n</mjml>`;

describe('checkMjmlMarkup accepts', () => {
  it('Liquid in element content, in attribute values and wrapped in mj-raw', () => {
    const source = wrap(
      [
        '<mj-text>Hi {{ ctx.firstName }} {% for item in ctx.items %}<p>{{ item.name }}</p>{% endfor %} {% if a < b %}x{% endif %}</mj-text>',
        `<mj-button href="{{ ctx.url | append: '?a=1&b=2' }}" css-class='c'>Go</mj-button>`,
        '<mj-raw>{% for item in ctx.items %}</mj-raw>',
        '<mj-text>{{ item.name }}</mj-text>',
        '<mj-raw>{% endfor %}</mj-raw>',
        '<mj-image src="{{ ctx.img }}" width=100px />',
        '<!-- a note with {% if %} inside -->',
      ].join('\n'),
    );
    expect(() => checkMjmlMarkup(source)).not.toThrow();
  });

  it('a head, nested ending elements, self-closing elements and an XML declaration', () => {
    const source = `<?xml version="1.0"?>
<mjml lang="sv">
  <mj-head>
    <mj-title>{{ ctx.orderNumber }}</mj-title>
    <mj-attributes><mj-all font-family="Arial" /><mj-class name="hl" color="red" /></mj-attributes>
    <mj-html-attributes><mj-selector path=".x"><mj-html-attribute name="data-id">{{ ctx.id }}</mj-html-attribute></mj-selector></mj-html-attributes>
    <mj-style>.x > a { color: red; }</mj-style>
  </mj-head>
  <mj-body><mj-section><mj-column><mj-text>a<mj-text>nested</mj-text>b</mj-text><mj-spacer/></mj-column></mj-section></mj-body>
</mjml>
`;
    expect(() => checkMjmlMarkup(source)).not.toThrow();
  });
});

describe('checkMjmlMarkup refuses, with the line to fix', () => {
  it('an unknown element (a typo)', () => {
    const err = fault(wrap('<mj-text>ok</mj-text>\n<mj-txt>Hello</mj-txt>'));
    expect(err).toMatchObject({ field: 'mjml', line: 6, column: 1 });
    expect(err.message).toBe('mjml line 6: <mj-txt> is not an MJML element');
  });

  it('HTML where MJML elements belong', () => {
    expect(fault(wrap('<div>Hello</div>')).message).toBe(
      'mjml line 5: <div> is not an MJML element (HTML belongs inside <mj-text> or <mj-raw>)',
    );
  });

  it('an element that is never closed', () => {
    const err = fault('<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n<mj-text>Hello\n</mj-column>\n</mj-section>\n</mj-body>\n</mjml>');
    expect(err).toMatchObject({ line: 5 });
    expect(err.message).toBe('mjml line 5: <mj-text> is never closed (missing </mj-text>)');
    expect(fault('<mjml>\n<mj-body>\n<mj-section>').message).toBe('mjml line 3: <mj-section> is never closed (missing </mj-section>)');
  });

  it('a closing tag that does not match', () => {
    const err = fault('<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n</mj-section>\n</mj-body>\n</mjml>');
    expect(err.message).toBe('mjml line 5: </mj-section> does not match <mj-column> opened at line 4 — is </mj-column> missing?');
  });

  it('a missing quote', () => {
    const unterminated = fault(wrap('<mj-button href="https://x.test>Go</mj-button>'));
    expect(unterminated.message).toBe('mjml line 5: the value of href in <mj-button> has no closing "');
    const swallowed = fault(wrap('<mj-button href="https://x.test>Go</mj-button>\n<mj-text color="red">Hi</mj-text>'));
    expect(swallowed.message).toBe(
      'mjml line 5: <mj-button> is malformed near line 6: `">Hi</mj-text> </mj-colu…` — check the quotes around its attribute values',
    );
  });

  it('Liquid tags between elements, where MJML would drop them', () => {
    const err = fault(wrap('{% if ctx.vip %}\n<mj-text>Gold</mj-text>\n{% endif %}'));
    expect(err).toMatchObject({ line: 5, column: 1 });
    expect(err.message).toBe(
      'mjml line 5: Liquid {% if ctx.vip %} sits between MJML elements (inside <mj-column>), where MJML drops it — wrap it in <mj-raw>…</mj-raw>',
    );
  });

  it('Liquid inside a tag itself', () => {
    expect(fault(wrap('<mj-text {% if x %}color="red"{% endif %}>Hi</mj-text>')).message).toBe(
      'mjml line 5: Liquid inside the <mj-text> tag itself is not supported — put it inside an attribute value (name="{{ … }}")',
    );
  });

  it('mj-include, which would read the server disk', () => {
    expect(fault(wrap('<mj-include path="../../etc/passwd" />')).message).toMatch(/^mjml line 5: <mj-include> is not supported/);
  });

  it('documents that are not MJML', () => {
    expect(fault('Hello world').message).toBe('mjml: the template has no <mjml> element');
    expect(fault('<mj-body></mj-body>').message).toBe('mjml line 1: the template must start with <mjml> (found <mj-body>)');
    expect(fault('<mjml><mj-body></mj-body></mjml>\n<mj-body></mj-body>').message).toBe(
      'mjml line 2: nothing may follow </mjml> (found <mj-body>)',
    );
    expect(fault('<mjml><mj-body><!-- unfinished </mj-body></mjml>').message).toBe('mjml line 1: comment is never closed (missing -->)');
  });
});

describe('element lists', () => {
  it('match the components registered by the installed mjml', () => {
    // Loading mjml registers its preset into mjml-core's registry.
    require('mjml');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { components } = require('mjml-core') as { components: Record<string, { endingTag?: boolean } | undefined> };
    const registered = Object.keys(components);
    const ending = registered.filter((name) => components[name]?.endingTag);
    const componentLess = ['mj-all', 'mj-class', 'mj-selector', 'mj-html-attribute'];
    expect([...MJML_ENDING_ELEMENTS].sort()).toEqual(ending.sort());
    expect([...MJML_ELEMENTS].sort()).toEqual(['mjml', ...registered, ...componentLess].sort());
  });
});
