/**
 * A Liquid render context that notes every variable a template read but the data did not
 * have. Rendering is lenient (a missing variable renders empty, so one absent field never
 * blocks a password reset), yet operators need the names: preview lists them as warnings,
 * the worker logs them.
 *
 * liquidjs only reports undefined variables by throwing in strict mode, which stops at
 * the first one; this hooks the one lookup routine every variable read goes through.
 */
import { Context, type Drop, type Liquid } from 'liquidjs';

type PathSegment = string | number | Drop;

export class MissingVariablesContext extends Context {
  readonly missing = new Set<string>();

  constructor(env: object, engine: Liquid) {
    super(env, engine.options, {}, { liquid: engine });
  }

  /**
   * Mirrors liquidjs' own walk (same `readProperty`, so same own-property rules) and
   * records the path up to the first undefined segment. Filters such as `where`/`map`
   * pass `strictVariables` explicitly to probe items; those probes are not template
   * variables, so they go to the stock implementation unrecorded.
   */
  override *_getFromScope(
    scope: unknown,
    paths: PathSegment[] | string,
    strictVariables?: boolean,
  ): IterableIterator<unknown> {
    if (strictVariables !== undefined) return yield* super._getFromScope(scope, paths, strictVariables);
    const segments = typeof paths === 'string' ? paths.split('.') : paths;
    let value: unknown = scope;
    for (let i = 0; i < segments.length; i++) {
      value = yield this.readProperty(value as never, segments[i] as PathSegment);
      if (value === undefined) {
        this.missing.add(pathName(segments.slice(0, i + 1)));
        return undefined;
      }
    }
    return value;
  }
}

/** `ctx.items[0].name` — the spelling a template author would write. */
function pathName(segments: PathSegment[]): string {
  let name = '';
  for (const segment of segments) {
    if (typeof segment === 'number') name += `[${segment}]`;
    else name += name ? `.${String(segment)}` : String(segment);
  }
  return name;
}
