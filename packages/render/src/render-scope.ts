/**
 * What a template can see: the event's fields under fixed names. Templates read
 * `{{ ctx.firstName }}`, `{{ email }}`, `{{ externalId }}`, ... and nothing else — no
 * process, environment or host objects are ever put into the Liquid scope.
 */

export interface RenderScope {
  /** The event's free-form data (JSON, or XML turned into JSON by the SOAP endpoint). */
  ctx?: Record<string, unknown> | undefined;
  email?: string | undefined;
  mobilePhone?: string | undefined;
  externalId?: string | undefined;
  origin?: string | undefined;
  locale?: string | undefined;
  /** The event type key, e.g. `ORDER_CONFIRMATION`. */
  type?: string | undefined;
  /** The event id (decimal string of the 64-bit id). */
  eventId?: string | undefined;
}

/**
 * Copies exactly the known names into a prototype-less object, so a caller that passes a
 * richer object (a whole event row, say) cannot widen what templates see, and top-level
 * lookups like `{{ constructor }}` find nothing.
 */
export function toLiquidScope(scope: RenderScope): Record<string, unknown> {
  const env: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  env['ctx'] = scope.ctx;
  env['email'] = scope.email;
  env['mobilePhone'] = scope.mobilePhone;
  env['externalId'] = scope.externalId;
  env['origin'] = scope.origin;
  env['locale'] = scope.locale;
  env['type'] = scope.type;
  env['eventId'] = scope.eventId;
  return env;
}
