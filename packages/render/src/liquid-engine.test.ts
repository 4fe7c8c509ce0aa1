import { htmlLiquid, parseLiquid, plainLiquid, renderLiquid, toList } from './liquid-engine';
import type { Liquid } from 'liquidjs';
import { TemplateError } from './template-error';

function render(engine: Liquid, source: string, env: object = {}) {
  return renderLiquid(engine, 'field', parseLiquid(engine, 'field', source), env);
}

function parseError(engine: Liquid, field: string, source: string): TemplateError {
  try {
    parseLiquid(engine, field, source);
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
}

describe('escaping', () => {
  const env = { ctx: { firstName: '<script>alert(1)</script>', url: 'https://x.test/?a=1&b="2"' } };

  it('HTML-escapes every output in the HTML flavour', () => {
    expect(render(htmlLiquid, 'Hi {{ ctx.firstName }}', env).output).toBe('Hi &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(render(htmlLiquid, '<a href="{{ ctx.url }}">', env).output).toBe('<a href="https://x.test/?a=1&amp;b=&#34;2&#34;">');
  });

  it('lets `| raw` opt out, and does not escape twice after an explicit `| escape`', () => {
    expect(render(htmlLiquid, '{{ ctx.firstName | raw }}', env).output).toBe('<script>alert(1)</script>');
    expect(render(htmlLiquid, '{{ ctx.firstName | escape }}', env).output).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('escapes nothing in the plain flavour', () => {
    expect(render(plainLiquid, 'Hi {{ ctx.firstName }}', env).output).toBe('Hi <script>alert(1)</script>');
  });
});

describe('loops and the list filter', () => {
  it('loops over ctx.items', () => {
    const env = { ctx: { items: [{ name: 'Cap', price: 19.9 }, { name: 'Mug', price: 5 }] } };
    const source = '{% for item in ctx.items %}{{ forloop.index }}. {{ item.name }} {{ item.price }};{% endfor %}';
    expect(render(plainLiquid, source, env).output).toBe('1. Cap 19.9;2. Mug 5;');
  });

  it('wraps a single object, keeps an array, and turns null/undefined into []', () => {
    expect(toList({ sku: 'A' })).toEqual([{ sku: 'A' }]);
    expect(toList([1, 2])).toEqual([1, 2]);
    expect(toList('x')).toEqual(['x']);
    expect(toList(null)).toEqual([]);
    expect(toList(undefined)).toEqual([]);
  });

  it('works on the collection of a for loop, for XML-derived data where one element is not an array', () => {
    const source = '{% for line in ctx.order.line | list %}[{{ line.sku }}]{% else %}none{% endfor %}';
    const one = { ctx: { order: { line: { sku: 'A' } } } };
    const many = { ctx: { order: { line: [{ sku: 'A' }, { sku: 'B' }] } } };
    expect(render(plainLiquid, source, one).output).toBe('[A]');
    expect(render(plainLiquid, source, many).output).toBe('[A][B]');
    expect(render(plainLiquid, source, { ctx: { order: {} } }).output).toBe('none');
    // Without `| list` a single object would be iterated as [key, value] pairs.
    expect(render(plainLiquid, '{% for line in ctx.order.line %}[{{ line.sku }}]{% endfor %}', one).output).toBe('[]');
  });

  it('keeps limit/offset/reversed on unfiltered loops and explains the filtered case', () => {
    const env = { ctx: { items: [1, 2, 3] } };
    // Shopify order: limit first, then reversed.
    expect(render(plainLiquid, '{% for i in ctx.items reversed limit: 2 %}{{ i }}{% endfor %}', env).output).toBe('21');
    const err = parseError(plainLiquid, 'text', '{% for i in ctx.items | list limit: 2 %}{{ i }}{% endfor %}');
    expect(err.message).toMatch(/^text line 1, column 1: a filtered collection cannot take limit/);
  });

  it('refuses an unknown filter on a loop collection at parse time', () => {
    const err = parseError(plainLiquid, 'text', 'x\n{% for i in ctx.items | lst %}{{ i }}{% endfor %}');
    expect(err).toMatchObject({ field: 'text', line: 2, column: 1 });
    expect(err.message).toBe('text line 2, column 1: unknown filter "lst"');
  });
});

describe('missing variables', () => {
  it('render empty and are reported by name', () => {
    const source = 'Hi {{ ctx.firstName }} {{ ctx.items[0].name }} {{ email }}{% for i in ctx.items %}{{ i.sku }}{% endfor %}';
    const result = render(plainLiquid, source, { ctx: { items: [{ name: 'Cap' }] } });
    expect(result.output).toBe('Hi  Cap ');
    expect(result.missing).toEqual(['ctx.firstName', 'email', 'i.sku']);
  });

  it('name the first undefined segment of a path', () => {
    expect(render(plainLiquid, '{{ ctx.order.total.amount }}', { ctx: {} }).missing).toEqual(['ctx.order']);
  });

  it('do not count null values or the probes of filters like map', () => {
    const env = { ctx: { note: null, items: [{ sku: 'A' }, {}] } };
    const result = render(plainLiquid, '{{ ctx.note }}{{ ctx.items | map: "sku" | join: "," }}', env);
    expect(result).toEqual({ output: 'A,', missing: [] });
  });
});

describe('errors carry field, line and column', () => {
  it('refuses an unknown filter with its line', () => {
    const err = parseError(plainLiquid, 'subject', 'Hello\n  {{ ctx.firstName | upcse }}');
    expect(err).toBeInstanceOf(TemplateError);
    expect(err).toMatchObject({ name: 'TemplateError', field: 'subject', line: 2, column: 3 });
    expect(err.message).toBe('subject line 2, column 3: unknown filter "upcse"');
  });

  it('reports a syntax error with line and column', () => {
    const unclosedOutput = parseError(htmlLiquid, 'mjml', '<p>\n\n  Hi {{ ctx.firstName </p>');
    expect(unclosedOutput).toMatchObject({ field: 'mjml', line: 3, column: 6 });
    expect(unclosedOutput.message).toMatch(/^mjml line 3, column 6: output "\{\{ ctx.firstName <\/p>" not closed/);

    const unclosedTag = parseError(plainLiquid, 'text', 'a\nb {% if ctx.vip %}gold');
    expect(unclosedTag).toMatchObject({ line: 2, column: 3 });
    expect(unclosedTag.message).toBe('text line 2, column 3: tag {% if ctx.vip %} not closed');
  });
});

describe('sandbox', () => {
  const env = { ctx: { o: { a: 1 }, s: 'text' } };

  it('exposes no prototype members', () => {
    for (const source of [
      '{{ ctx.constructor }}',
      '{{ ctx.o.constructor.name }}',
      '{{ ctx.__proto__ }}',
      '{{ "x" | prepend: ctx.__proto__ }}',
      '{{ ctx.s.constructor.constructor }}',
      '{{ constructor }}',
      '{{ ctx.o.hasOwnProperty }}',
    ]) {
      const { output } = render(plainLiquid, source, env);
      expect(output === '' || output === 'x').toBe(true);
    }
  });

  it('cannot reach the process or the environment', () => {
    expect(render(plainLiquid, '{{ process.env.HOME }}{{ global.process }}{{ require }}', env).output).toBe('');
  });

  it('refuses include, render and layout at parse time, so nothing is read from disk', () => {
    for (const tag of ['include', 'render', 'layout']) {
      const err = parseError(plainLiquid, 'text', `{% ${tag} "/etc/passwd" %}`);
      expect(err.message).toBe(`text line 1, column 1: unknown tag "${tag}" (templates cannot load other templates or files)`);
    }
  });

  it('stops a render that would run too long', () => {
    const started = Date.now();
    const hostile = '{% for a in (1..3000) %}{% for b in (1..3000) %}{{ b }}{% endfor %}{% endfor %}';
    expect(() => render(plainLiquid, hostile)).toThrow(/^field line 1, column \d+: rendering failed: the render time limit \(renderLimit, 500 ms per field\) was exceeded$/);
    expect(() => render(plainLiquid, hostile)).toThrow(expect.objectContaining({ name: 'TemplateRenderError', limit: 'renderLimit' }));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops a render that would allocate without bound', () => {
    const doubling = '{% assign a = "1,2" | split: "," %}{% for i in (1..40) %}{% assign a = a | concat: a %}{% endfor %}{{ a | size }}';
    expect(() => render(plainLiquid, doubling)).toThrow(/rendering failed: the memory limit \(memoryLimit, 10,000,000 characters and array items per field\) was exceeded/);
  });

  it('formats dates in UTC whatever the host timezone', () => {
    expect(render(plainLiquid, '{{ "2026-11-27T23:30:00Z" | date: "%Y-%m-%d %H:%M" }}').output).toBe('2026-11-27 23:30');
  });
});
