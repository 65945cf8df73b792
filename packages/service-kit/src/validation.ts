import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

const common: Options = {
  // Unknown fields are an error, not silently dropped: a client misspelling `amount` must know.
  removeAdditional: false,
  useDefaults: true,
  // Stop at the first failure: collecting all of them is work an attacker can multiply.
  allErrors: false,
  strict: false,
};

function withFormats(ajv: Ajv): Ajv {
  (addFormats as unknown as (ajv: Ajv) => Ajv)(ajv);
  return ajv;
}

/** Bodies are JSON and must already have the right types: `{"amount": 100}` is not "100". */
const bodyAjv = withFormats(new Ajv({ ...common, coerceTypes: false }));
/** Query strings, params and headers are text by nature: "50" may become 50. */
const textAjv = withFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
