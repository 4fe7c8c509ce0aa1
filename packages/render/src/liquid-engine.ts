/**
 * The two sandboxed Liquid engines every template string goes through, and the parse and
 * render helpers that turn liquidjs errors into TemplateErrors with a location.
 *
 * - `htmlLiquid`: for the email HTML. Every `{{ }}` is HTML-escaped; `| raw` opts out.
 * - `plainLiquid`: subject, text part, SMS, push. Nothing is escaped (the output is not HTML).
 *
 * Templates are written by operators, not developers, and may be hostile: the engines read
 * no files, see only the scope's own properties, refuse unknown filters, and stop a render
 * that runs too long or allocates too much.
 */
import { Liquid, LiquidError, filters as builtinFilters, type FS, type Template } from 'liquidjs';
import { ListAwareForTag } from './liquid-for-tag';
import { MissingVariablesContext } from './missing-variables-context';
import { TemplateError, TemplateRenderError, describeLocation, type RenderLimit, type TemplateField, type TemplateLocation } from './template-error';

export type LiquidFlavour = 'html' | 'plain';

/**
 * Resource limits per parse() / render() call. Real templates stay far below them: a
 * receipt renders in well under a millisecond and allocates kilobytes.
 */
export const LIMITS = {
  /** Characters per parse. The compiled HTML of a 1 MB MJML body (the content maximum) is a few MB. */
  parseLimit: 20_000_000,
  /** Milliseconds per render of one field, so a `(1..100000000)` loop cannot hang a worker. */
  renderLimit: 500,
  /** liquidjs' count of allocated array items and string characters per render. */
  memoryLimit: 10_000_000,
} as const;

/** What each liquidjs limit message means, in operator terms. */
const LIMIT_ERRORS: Record<string, { limit: RenderLimit; text: string }> = {
  'template render': { limit: 'renderLimit', text: `the render time limit (renderLimit, ${LIMITS.renderLimit} ms per field)` },
  'memory alloc': { limit: 'memoryLimit', text: `the memory limit (memoryLimit, ${LIMITS.memoryLimit.toLocaleString('en-US')} characters and array items per field)` },
  'parse length': { limit: 'parseLimit', text: `the parse size limit (parseLimit, ${LIMITS.parseLimit.toLocaleString('en-US')} characters per field)` },
};

/** What one field's render used, for the "close to a limit" warnings of preview and publish. */
export interface FieldUsage {
  field: TemplateField;
  ms: number;
  /** liquidjs' memory count: characters and array items allocated. */
  memory: number;
}

/**
 * Set only while `recordRenderUsage` runs. Rendering is synchronous (renderSync), so nothing
 * else can render in between and a module-level recorder cannot mix up two renders.
 */
let usageRecorder: FieldUsage[] | undefined;

/** Runs a synchronous render and returns what each field it rendered used. */
export function recordRenderUsage<T>(work: () => T): { result: T; usage: FieldUsage[] } {
  const outer = usageRecorder;
  const usage: FieldUsage[] = [];
  usageRecorder = usage;
  try {
    return { result: work(), usage };
  } finally {
    usageRecorder = outer;
  }
}

/** Tags that load other templates from disk; templates are self-contained here. */
const FILE_TAGS = ['include', 'render', 'layout'] as const;

/** An fs that holds nothing, so even a partial lookup that slipped through reads no disk. */
const NO_FILES: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file) => {
    throw new Error(`templates cannot read files (${file})`);
  },
  readFileSync: (file) => {
    throw new Error(`templates cannot read files (${file})`);
  },
  resolve: (_dir, file) => file,
  contains: async () => false,
  containsSync: () => false,
  sep: '/',
  dirname: () => '',
};

/**
 * `list`: a value as an array — null/undefined → [], an array as is, anything else → [it].
 * XML-derived data holds one repeated element as an object and several as an array.
 */
export function toList(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function createEngine(flavour: LiquidFlavour): Liquid {
  const engine = new Liquid({
    fs: NO_FILES,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    outputEscape: flavour === 'html' ? 'escape' : undefined,
    // Workers may run in any timezone and locale; `date` output must not depend on the host.
    timezoneOffset: 0,
    locale: 'en-US',
    ...LIMITS,
  });
  for (const tag of FILE_TAGS) delete engine.tags[tag];
  engine.registerTag('for', ListAwareForTag);
  engine.registerFilter('list', toList);
  if (flavour === 'html') {
    // Authors used to plain Liquid write `| escape`; with escaping on by default that would
    // escape twice (`&amp;lt;`). Marking these filters raw makes them the final escape.
    for (const name of ['escape', 'escape_once', 'xml_escape'] as const) {
      const builtin = builtinFilters[name];
      const handler = typeof builtin === 'function' ? builtin : builtin?.handler;
      if (handler) engine.registerFilter(name, { handler, raw: true });
    }
  }
  return engine;
}

export const htmlLiquid: Liquid = createEngine('html');
export const plainLiquid: Liquid = createEngine('plain');

/** Parses one field; a syntax error, unknown tag or unknown filter becomes a TemplateError. */
export function parseLiquid(engine: Liquid, field: TemplateField, source: string): Template[] {
  try {
    return engine.parse(source);
  } catch (err) {
    throw liquidTemplateError(field, err, 'parse');
  }
}

export interface LiquidRenderResult {
  output: string;
  /** Variables the template read that the data did not hold, e.g. `ctx.firstName`. */
  missing: string[];
}

/** Renders one parsed field synchronously (the scope is plain data, nothing to await). */
export function renderLiquid(
  engine: Liquid,
  field: TemplateField,
  templates: Template[],
  env: object,
): LiquidRenderResult {
  const context = new MissingVariablesContext(env, engine);
  let output: unknown;
  const started = usageRecorder ? performance.now() : 0;
  try {
    output = engine.renderSync(templates, context);
  } catch (err) {
    throw liquidTemplateError(field, err, 'render');
  }
  if (usageRecorder) {
    // liquidjs keeps the count private; it is the figure its memoryLimit is checked against.
    const memory = (context.memoryLimit as unknown as { base?: number }).base ?? 0;
    usageRecorder.push({ field, ms: performance.now() - started, memory });
  }
  return { output: typeof output === 'string' ? output : String(output ?? ''), missing: [...context.missing] };
}

/** Wraps a liquidjs error as a TemplateError naming the field, line and column. */
export function liquidTemplateError(field: TemplateField, err: unknown, phase: 'parse' | 'render'): TemplateError {
  const location = liquidErrorLocation(err);
  const detail = liquidErrorDetail(err);
  const prefix = describeLocation(field, location);
  const hit = /^(template render|memory alloc|parse length) limit exceeded/.exec(detail);
  const limit = hit ? LIMIT_ERRORS[hit[1]!] : undefined;
  if (limit) {
    const doing = phase === 'render' ? 'rendering' : 'parsing';
    return new TemplateRenderError(field, `${prefix}: ${doing} failed: ${limit.text} was exceeded`, limit.limit, location, { cause: err });
  }
  const message = phase === 'render' ? `${prefix}: rendering failed: ${detail}` : `${prefix}: ${detail}`;
  return new TemplateError(field, message, location, { cause: err });
}

function liquidErrorLocation(err: unknown): TemplateLocation {
  if (!(err instanceof LiquidError) || !err.token) return {};
  const [line, column] = err.token.getPosition();
  return line === undefined ? {} : { line, column };
}

/** liquidjs' message without its `, line:2, col:5` tail, reworded where it reads like internals. */
export function liquidErrorDetail(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const message = raw.replace(/, line:\d+, col:\d+$/, '');
  const unknownFilter = /^undefined filter: (\S+)$/.exec(message);
  if (unknownFilter) return `unknown filter "${unknownFilter[1]}"`;
  const unknownTag = /^tag "([^"]+)" not found$/.exec(message);
  if (unknownTag) {
    const tag = unknownTag[1] ?? '';
    const why = (FILE_TAGS as readonly string[]).includes(tag) ? ' (templates cannot load other templates or files)' : '';
    return `unknown tag "${tag}"${why}`;
  }
  return message;
}
