/**
 * The JSON body parser of the whole service. Stricter than Fastify's default in what it names:
 * bytes that are not UTF-8 are refused (the default would turn them into U+FFFD and accept),
 * and so are keys that pollute prototypes (`__proto__`, `constructor.prototype`), each with a
 * 400 naming the fault rather than a bare "invalid JSON".
 */
import type { FastifyInstance } from 'fastify';
import { DomainError } from '@mc/core';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** @throws DomainError('validation') naming what is wrong with the body. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new DomainError('validation', 'The body is empty; send a JSON document.', [{ path: 'body', message: 'is empty' }]);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new DomainError('validation', 'The body is not valid UTF-8.', [{ path: 'body', message: `invalid UTF-8 at byte ${firstInvalidUtf8Byte(body)}` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DomainError('validation', `The body is not valid JSON: ${(error as Error).message}`, [
      { path: 'body', message: 'is not valid JSON' },
    ]);
  }
  // Only bodies that mention the names pay for the walk.
  if (text.includes('__proto__') || text.includes('constructor')) {
    const polluting = findPollutingKey(value);
    if (polluting) {
      throw new DomainError('validation', `The body carries a forbidden key at ${polluting}.`, [
        { path: `body${polluting}`, message: 'this key name is forbidden (prototype pollution)' },
      ]);
    }
  }
  return value;
}

/** The JSON pointer of the first `__proto__` key or `constructor` object with a `prototype`, if any. */
function findPollutingKey(root: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === '__proto__') return childPath;
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) return childPath;
      stack.push({ value: child, path: childPath });
    }
  }
  return undefined;
}

function firstInvalidUtf8Byte(body: Buffer): number {
  // Decode growing prefixes is quadratic; instead find the first byte where a streaming decode fails.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < body.length; i++) {
    try {
      decoder.decode(body.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  return body.length;
}
