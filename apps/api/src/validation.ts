// Two validators: bodies are validated strictly (no type coercion, unknown fields refused),
// querystrings and params are coerced from strings as HTTP requires.
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// In a u-mode class a surrogate pair is one astral code point: only unpaired surrogates are \p{Cs}.
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const NOT_TEXT = /[\u0000\p{Cs}]/u;

function make(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  // `format: 'text'` in the contracts: text that Postgres can store and search (no NUL, no unpaired surrogate).
  ajv.addFormat('text', { type: 'string', validate: (s: string) => !NOT_TEXT.test(s) });
  return ajv;
}

const strict = make(false);
const coercing = make(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema as object) as never;
};

/**
 * The values a field may take, listed for its 400, when the field failed an enum or a union of
 * constants (as TypeBox writes string unions); null for any other failure.
 */
export function allowedValues(
  errs: ReadonlyArray<{ keyword: string; instancePath: string; params: Record<string, unknown> }>,
  path: string | undefined,
): string | null {
  const at = errs.filter((e) => e.instancePath === path);
  const values = at.flatMap((e) =>
    e.keyword === 'const' ? [e.params.allowedValue] : e.keyword === 'enum' ? (e.params.allowedValues as unknown[]) : [],
  );
  if (values.length === 0 || at.some((e) => e.keyword !== 'const' && e.keyword !== 'enum' && e.keyword !== 'anyOf'))
    return null;
  return values.map((v) => JSON.stringify(v)).join(', ');
}
