/**
 * Renders the fields of one message against one scope, noting which field read which
 * missing variable (preview reports them per field; the worker logs the names).
 */
import type { Liquid, Template } from 'liquidjs';
import { parseLiquid, plainLiquid, renderLiquid } from './liquid-engine';
import type { MissingVariable } from './rendered-message';
import { toLiquidScope, type RenderScope } from './render-scope';

export class FieldRenderer {
  readonly missing: MissingVariable[] = [];
  private readonly env: Record<string, unknown>;

  constructor(scope: RenderScope) {
    this.env = toLiquidScope(scope);
  }

  render(engine: Liquid, field: string, templates: Template[]): string {
    const result = renderLiquid(engine, field, templates, this.env);
    for (const name of result.missing) this.missing.push({ field, name });
    return result.output;
  }

  /** For renderers of nested data that need the same scope object. */
  get liquidScope(): object {
    return this.env;
  }
}

/** One header line: a newline from the data would start a new header, so it becomes a space. */
export function singleLine(value: string): string {
  return value
    .replace(/\s*[\r\n\u0085\u2028\u2029]+\s*/g, ' ')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
    .trim();
}

/** Parses an optional plain field; absent or blank means "not set", so a default applies. */
export function parseOptionalPlain(field: string, source: string | undefined): Template[] | undefined {
  if (source === undefined || source.trim() === '') return undefined;
  return parseLiquid(plainLiquid, field, source);
}
