/**
 * How the template engine reports faults (TemplateError: the template cannot publish or
 * cannot render) and findings that do not stop it (TemplateWarning: shown to the operator).
 * Both name the content field and, where known, the line and column inside that field, so
 * the admin UI can point at the spot and the API can answer 422 with a location.
 */

/** A content field of a template: `subject`, `mjml`, `text`, `title`, `data.orderId`, ... */
export type TemplateField = string;

export interface TemplateLocation {
  line?: number;
  column?: number;
}

/** Something the operator should look at; never stops a publish or a send. */
export interface TemplateWarning extends TemplateLocation {
  field: TemplateField;
  message: string;
}

export class TemplateError extends Error {
  override readonly name: string = 'TemplateError';
  readonly field: TemplateField;
  readonly line?: number;
  readonly column?: number;

  /** `message` is complete and operator-facing, e.g. `mjml line 12: <mj-txt> is not an MJML element`. */
  constructor(field: TemplateField, message: string, location: TemplateLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
    if (location.line !== undefined) this.line = location.line;
    if (location.column !== undefined) this.column = location.column;
  }
}

/** `subject line 2, column 7` / `mjml line 12` / `text` — the prefix every message starts with. */
export function describeLocation(field: TemplateField, location: TemplateLocation = {}): string {
  if (location.line === undefined) return field;
  if (location.column === undefined) return `${field} line ${location.line}`;
  return `${field} line ${location.line}, column ${location.column}`;
}

/** The liquid-engine resource limit a template hit. */
export type RenderLimit = 'renderLimit' | 'memoryLimit' | 'parseLimit';

/**
 * A template that ran into a resource limit (render time, memory, parse size): the same
 * template with data of the same size hits it again, so a send ends at once (deliveryFailed)
 * rather than retrying, and a publish whose test data hits it is refused.
 */
export class TemplateRenderError extends TemplateError {
  override readonly name = 'TemplateRenderError';
  readonly limit: RenderLimit;

  constructor(field: TemplateField, message: string, limit: RenderLimit, location: TemplateLocation = {}, options?: { cause?: unknown }) {
    super(field, message, location, options);
    this.limit = limit;
  }
}
