// Payload schemas of the event-types catalog, compiled once per schema and cached.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, validateSchema: true }));
const cache = new Map<string, ValidateFunction>();

/** null when the schema is usable, else why not. */
export function checkJsonSchema(schema: Record<string, unknown>): string | null {
  try {
    ajv.compile(schema);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Errors of a payload against a schema, as short messages; empty when valid. */
export function payloadErrors(schema: Record<string, unknown>, payload: unknown): string[] {
  const key = JSON.stringify(schema);
  let fn = cache.get(key);
  if (!fn) {
    fn = ajv.compile(schema);
    if (cache.size > 1000) cache.clear();
    cache.set(key, fn);
  }
  if (fn(payload)) return [];
  return (fn.errors ?? []).slice(0, 10).map((e) => `payload${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`);
}
