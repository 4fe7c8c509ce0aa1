/**
 * Event types as the intake needs them, cached briefly so the hot path does not read
 * Postgres for every event. The ctxSchema is compiled once per cached type.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from '@mc/core';

export interface EventTypeRow {
  id: number;
  key: string;
  enabled: boolean;
  ctxSchema: unknown;
  maxAgeSeconds: number | null;
}

export interface CatalogEntry {
  id: number;
  key: string;
  enabled: boolean;
  maxAgeSeconds: number | null;
  /** The ctx faults against the type's schema, each naming its path; [] when it conforms. */
  checkCtx(ctx: unknown): FieldError[];
}

export interface EventTypeCatalog {
  get(key: string): Promise<CatalogEntry | undefined>;
  /** Forget a key at once (after an admin change in this process). */
  invalidate(key?: string): void;
}

export function createEventTypeCatalog(
  load: (key: string) => Promise<EventTypeRow | null>,
  ttlMs = 2000,
): EventTypeCatalog {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const cache = new Map<string, { at: number; entry: Promise<CatalogEntry | undefined> }>();

  const build = (row: EventTypeRow): CatalogEntry => {
    const validate: ValidateFunction | undefined =
      row.ctxSchema && typeof row.ctxSchema === 'object' ? ajv.compile(row.ctxSchema as object) : undefined;
    return {
      id: row.id,
      key: row.key,
      enabled: row.enabled,
      maxAgeSeconds: row.maxAgeSeconds,
      checkCtx(ctx) {
        if (!validate || validate(ctx)) return [];
        return (validate.errors ?? []).map((e) => ({
          path: `ctx${e.instancePath.replace(/\//g, '.')}${
            e.keyword === 'required' ? `.${(e.params as { missingProperty: string }).missingProperty}` : ''
          }`,
          message: e.message ?? 'is invalid',
        }));
      },
    };
  };

  return {
    get(key) {
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < ttlMs) return hit.entry;
      const entry = load(key).then((row) => (row ? build(row) : undefined));
      cache.set(key, { at: Date.now(), entry });
      entry.catch(() => cache.delete(key));
      return entry;
    },
    invalidate(key) {
      if (key === undefined) cache.clear();
      else cache.delete(key);
    },
  };
}

/** Validates a ctxSchema when an event type is created or changed: compile errors → 400. */
export function schemaCompileError(schema: unknown): string | undefined {
  try {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.compile(schema as object);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
