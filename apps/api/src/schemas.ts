// Payload schemas of the event-types catalog, compiled once per schema and cached.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const newAjv = () => addFormats(new Ajv({ allErrors: true, strict: false, validateSchema: true }));
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
    return (err as Error).message;
  }
}

/** Errors of a payload against a schema, as short messages; empty when valid. */
export function payloadErrors(schema: Record<string, unknown>, payload: unknown): string[] {
  const fn = validatorFor(schema);
  if (fn(payload)) return [];
  return (fn.errors ?? []).slice(0, 10).map((e) => `payload${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`);
}
