/**
 * Push `data` is free-form JSON whose string leaves are Liquid templates, e.g.
 * `{ "orderId": "{{ ctx.orderId }}", "deepLink": { "screen": "order" } }`. It is parsed
 * once into a tree of parsed strings and plain values, and rendered per message.
 */
import type { Template } from 'liquidjs';
import { parseLiquid, plainLiquid, renderLiquid } from './liquid-engine';
import type { MissingVariable } from './rendered-message';
import { TemplateError } from './template-error';

/** Deeper than any real payload; stops a hostile body from exhausting the stack. */
const MAX_DEPTH = 16;

export type PreparedData =
  | { kind: 'liquid'; field: string; templates: Template[] }
  | { kind: 'value'; value: unknown }
  | { kind: 'array'; items: PreparedData[] }
  | { kind: 'object'; entries: Array<[string, PreparedData]> };

export function prepareData(value: unknown, field = 'data', depth = 0): PreparedData {
  if (depth > MAX_DEPTH) throw new TemplateError(field, `${field}: nested more than ${MAX_DEPTH} levels deep`);
  if (typeof value === 'string') return { kind: 'liquid', field, templates: parseLiquid(plainLiquid, field, value) };
  if (Array.isArray(value)) {
    return { kind: 'array', items: value.map((item, i) => prepareData(item, `${field}[${i}]`, depth + 1)) };
  }
  if (value !== null && typeof value === 'object') {
    return {
      kind: 'object',
      entries: Object.entries(value).map(([key, item]) => [key, prepareData(item, `${field}.${key}`, depth + 1)]),
    };
  }
  return { kind: 'value', value };
}

export function renderData(prepared: PreparedData, env: object, missing: MissingVariable[]): unknown {
  switch (prepared.kind) {
    case 'liquid': {
      const result = renderLiquid(plainLiquid, prepared.field, prepared.templates, env);
      for (const name of result.missing) missing.push({ field: prepared.field, name });
      return result.output;
    }
    case 'array':
      return prepared.items.map((item) => renderData(item, env, missing));
    case 'object':
      // fromEntries defines own properties, so a "__proto__" key stays a plain key.
      return Object.fromEntries(prepared.entries.map(([key, item]) => [key, renderData(item, env, missing)]));
    case 'value':
      return prepared.value;
  }
}
