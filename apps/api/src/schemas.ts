// Payload schemas of the event-types catalog, compiled once per schema and cached.
//
// The schemas are written by tenants and run on the API's event loop, so nothing in them may cost
// more than linear time in the payload: their regular expressions (`pattern`, `patternProperties`,
// `propertyNames`) run on RE2, which has no backtracking, and `uniqueItems` compares canonical
// forms through a set instead of Ajv's pairwise comparison of every two items.
import { Ajv, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** A payload checked against a schema may be at most this large (JSON text, in bytes). */
export const MAX_VALIDATED_PAYLOAD_BYTES = 1024 * 1024;

/** Thrown while compiling a schema whose regular expression RE2 cannot run. */
export class UnsupportedPatternError extends Error {
  override name = 'UnsupportedPatternError';
}

const re2: RegExpEngine = Object.assign(
  (pattern: string, _flags: string) => {
    let re: RE2JS;
    try {
      re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (err) {
      throw new UnsupportedPatternError(
        `pattern ${JSON.stringify(pattern)} is not supported: patterns run on a linear-time engine (RE2), without backreferences or lookaround (${(err as Error).message})`,
      );
    }
    // Ajv keys its cache of compiled patterns by toString(): it must tell patterns apart.
    return { test: (s: string) => re.test(s), toString: () => `re2:${pattern}` };
  },
  // Only read when Ajv generates standalone code, which this module never does.
  { code: 're2' },
);

/** A canonical text of a JSON value: object keys sorted, so equal values give equal texts. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function newAjv(): Ajv {
  // allErrors off: with it, errors pile up per branch and per item (an anyOf of 500 branches over a
  // long array ran out of memory); the first error is what the 400 shows.
  const ajv = addFormats(new Ajv({ allErrors: false, strict: false, validateSchema: true, code: { regExp: re2 } }));
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({
    keyword: 'uniqueItems',
    type: 'array',
    schemaType: 'boolean',
    error: { message: 'must NOT have duplicate items' },
    validate: (unique: boolean, data: unknown[]) => {
      if (!unique) return true;
      const seen = new Set<string>();
      for (const item of data) {
        const c = canonical(item);
        if (seen.has(c)) return false;
        seen.add(c);
      }
      return true;
    },
  });
  return ajv;
}
const MAX_CACHED = 1000;

// Ajv keeps every schema it compiled for the life of the instance (about 20 KB each), so the cache
// and the instance are dropped together when the cache is full: memory stays bounded however many
// event types are created, changed or checked.
let ajv = newAjv();
let cache = new Map<string, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = cache.get(key);
  if (!fn) {
    if (cache.size >= MAX_CACHED) {
      ajv = newAjv();
      cache = new Map();
    }
    fn = ajv.compile(schema);
    cache.set(key, fn);
  }
  return fn;
}

/** null when the schema is usable, else why not. */
export function checkJsonSchema(schema: Record<string, unknown>): string | null {
  try {
    validatorFor(schema);
    return null;
  } catch (err) {
    return err instanceof UnsupportedPatternError ? err.message : `not a valid JSON Schema: ${(err as Error).message}`;
  }
}

/**
 * Errors of a payload against a schema, as short messages; empty when valid. Throws when the
 * schema cannot be compiled (one stored before its patterns had to run on RE2).
 */
export function payloadErrors(schema: Record<string, unknown>, payload: unknown): string[] {
  const fn = validatorFor(schema);
  if (fn(payload)) return [];
  return (fn.errors ?? []).slice(0, 1).map((e) => `payload${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`);
}
