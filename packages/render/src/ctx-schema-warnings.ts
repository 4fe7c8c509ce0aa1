/**
 * Warnings for template variables an event type's ctxSchema does not define: `{{ ctx.frist }}`
 * against a schema with `first` is almost always a typo that would render empty. Found by
 * liquidjs's static analysis of every Liquid field, so it needs no test data.
 */
import type { ChannelContent } from '@mc/contracts';
import { plainLiquid } from './liquid-engine';
import type { TemplateWarning } from './template-error';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema | JsonSchema[];
  allOf?: JsonSchema[];
};

export function ctxSchemaWarnings(content: ChannelContent, ctxSchema: unknown): TemplateWarning[] {
  if (!ctxSchema || typeof ctxSchema !== 'object') return [];
  const warnings: TemplateWarning[] = [];
  for (const [field, source] of liquidFields(content)) {
    let segments: (string | number)[][];
    try {
      segments = plainLiquid.globalVariableSegmentsSync(source) as (string | number)[][];
    } catch {
      continue; // a syntax error is reported by compile, with its location
    }
    const seen = new Set<string>();
    for (const path of segments) {
      if (path[0] !== 'ctx' || path.length < 2) continue;
      const name = path.map(String).join('.');
      if (seen.has(name)) continue;
      seen.add(name);
      const missing = undefinedSegment(ctxSchema as JsonSchema, path.slice(1));
      if (missing !== undefined) {
        warnings.push({ field, message: `${name} is not defined by the event type's ctxSchema (no "${missing}")` });
      }
    }
  }
  return warnings;
}

/** The first segment the schema does not define, or undefined when the path is covered. */
function undefinedSegment(schema: JsonSchema, path: (string | number)[]): string | undefined {
  let node: JsonSchema | undefined = schema;
  for (const segment of path) {
    if (!node) return undefined;
    const merged: JsonSchema = node.allOf ? Object.assign({}, node, ...node.allOf) : node;
    if (typeof segment === 'number' || /^\d+$/.test(String(segment)) || segment === 'first' || segment === 'last' || segment === 'size') {
      node = Array.isArray(merged.items) ? merged.items[0] : merged.items;
      if (segment === 'size') return undefined;
      continue;
    }
    if (merged.properties && segment in merged.properties) {
      node = merged.properties[segment];
      continue;
    }
    // Open objects (no properties listed, or additional ones allowed) cover any key.
    if (!merged.properties || merged.additionalProperties === true || typeof merged.additionalProperties === 'object') {
      return undefined;
    }
    return String(segment);
  }
  return undefined;
}

function* liquidFields(content: ChannelContent): Generator<[string, string]> {
  for (const [key, value] of Object.entries(content)) {
    if (typeof value === 'string') yield [key, value];
    else if (key === 'data' && value && typeof value === 'object') {
      for (const [dataKey, dataValue] of Object.entries(value)) {
        if (typeof dataValue === 'string') yield [`data.${dataKey}`, dataValue];
      }
    }
  }
}
