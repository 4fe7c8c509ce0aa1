import fc from 'fast-check';
import { canonicalJson, eventFingerprint } from './event-fingerprint';

describe('canonical JSON (RFC 8785 rules)', () => {
  it('sorts keys by UTF-16 code units at every level and writes no white space', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }], '\u20ac': 'x', Z: 'y' })).toBe('{"Z":"y","a":[{"c":null,"d":true}],"b":1,"€":"x"}');
  });
  it('writes numbers and strings as ECMAScript does', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, 'é\n"'])).toBe('[1e+21,0.1,0,1.5e-7,"é\\n\\""]');
  });
  it('is JSON that parses back to the same value', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)))));
  });
});

describe('event fingerprint', () => {
  const event = { type: 'ORDER', email: 'ann@example.com', ctx: { items: [{ name: 'Cap', price: 19.9 }], first: 'Ann' } };
  it('does not depend on key order or on the batch item key', () => {
    const reordered = { ctx: { first: 'Ann', items: [{ price: 19.9, name: 'Cap' }] }, email: 'ann@example.com', type: 'ORDER' };
    expect(eventFingerprint(reordered)).toBe(eventFingerprint(event));
    expect(eventFingerprint({ ...event, idempotencyKey: 'k-1' })).toBe(eventFingerprint(event));
  });
  it('changes with any value, array order included', () => {
    const variants = [
      { ...event, email: 'Ann@example.com' },
      { ...event, ctx: { ...event.ctx, first: 'Anne' } },
      { ...event, ctx: { ...event.ctx, items: [{ name: 'Cap', price: 19.91 }] } },
      { ...event, ctx: { ...event.ctx, items: [...event.ctx.items, { name: 'Hat', price: 1 }] } },
      { ...event, wishedChannel: 'email' },
      { ...event, ctx: { ...event.ctx, first: ['Ann'] } },
    ];
    const prints = new Set([event, ...variants].map(eventFingerprint));
    expect(prints.size).toBe(variants.length + 1);
  });
  it('is 22 base64url characters (128 bits), short enough for `<id>:<fingerprint>` in Redis', () => {
    expect(eventFingerprint(event)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
  it('tells distinct events apart', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(canonicalJson(a) !== canonicalJson(b));
        expect(eventFingerprint({ ctx: a })).not.toBe(eventFingerprint({ ctx: b }));
      }),
    );
  });
});
