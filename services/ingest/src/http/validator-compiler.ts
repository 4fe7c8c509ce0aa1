/**
 * One validation behaviour for every route. JSON bodies are judged as sent: no type coercion
 * (`"email": 42` is not the string "42", `["a@x.org"]` is not a scalar), unknown fields refused
 * by name, every fault reported. Querystring, params and headers arrive as text, so there a
 * number or boolean may still be read from its string (`?limit=20`, `/api-keys/12`).
 */
import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = {
  // Reject unknown fields by name instead of silently dropping them, and report every fault.
  removeAdditional: false,
  allErrors: true,
  useDefaults: true,
  addUsedSchema: false,
  // TypeBox adds keywords of its own to some schemas (e.g. `transform`); they are not faults.
  strict: false,
};

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  return ajv;
}

const bodyAjv = withFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = withFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);
