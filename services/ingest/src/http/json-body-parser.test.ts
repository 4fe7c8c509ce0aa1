import { DomainError } from '@mc/core';
import { parseJsonBody } from './json-body-parser';

const refusal = (body: Buffer) => {
  try {
    parseJsonBody(body);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { message: (error as DomainError).message, errors: (error as DomainError).errors };
  }
  throw new Error('expected a refusal');
};

describe('the JSON body parser', () => {
  it('parses UTF-8 JSON, non-ASCII included', () => {
    expect(parseJsonBody(Buffer.from('{"name":"Jörg 用户 🎉","constructor":"ok"}'))).toEqual({ name: 'Jörg 用户 🎉', constructor: 'ok' });
  });
  it('refuses bytes that are not UTF-8, naming the first bad byte', () => {
    expect(refusal(Buffer.from([0x7b, 0x22, 0x61, 0xff, 0x22, 0x7d]))).toMatchObject({ errors: [{ path: 'body', message: 'invalid UTF-8 at byte 3' }] });
    expect(refusal(Buffer.from('{"a":"J\xf6rg"}', 'latin1')).message).toMatch(/UTF-8/);
  });
  it('refuses an empty body and broken JSON', () => {
    expect(refusal(Buffer.alloc(0)).message).toMatch(/empty/);
    expect(refusal(Buffer.from('{"type":')).message).toMatch(/not valid JSON/);
  });
  it('refuses prototype-polluting keys by path, wherever they are', () => {
    expect(refusal(Buffer.from('{"a":[{"__proto__":{"x":1}}]}')).errors).toEqual([{ path: 'body/a/0/__proto__', message: expect.any(String) }]);
    expect(refusal(Buffer.from('{"constructor":{"prototype":{"x":1}}}')).errors[0]!.path).toBe('body/constructor');
    expect(refusal(Buffer.from('{"a/b":{"__proto__":null}}')).errors[0]!.path).toBe('body/a~1b/__proto__');
  });
});
