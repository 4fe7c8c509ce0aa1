/**
 * String formats the schemas use. Fastify's Ajv knows them; TypeBox's own checker (used by
 * the intake to judge batch and SOAP items one by one) only knows formats registered here.
 */
import { FormatRegistry } from '@sinclair/typebox';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function registerFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));
  }
  if (!FormatRegistry.Has('uri')) {
    FormatRegistry.Set('uri', (value) => {
      try {
        return Boolean(new URL(value).protocol);
      } catch {
        return false;
      }
    });
  }
}

registerFormats();
