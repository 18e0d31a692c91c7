// Payload schemas of the event-types catalog, compiled once per schema and cached.
//
// The schemas are written by tenants, so nothing in them may cost more than linear time in the
// payload (and payload-validator.ts bounds the time of one validation): their regular expressions (`pattern`, `patternProperties`,
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

function newAjv(allErrors: boolean): Ajv {
  const ajv = addFormats(new Ajv({ allErrors, strict: false, validateSchema: true, code: { regExp: re2 } }));
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

/**
 * Up to this size an invalid payload is checked again for every error, to list several in the 400.
 * Collecting every error costs memory in proportion to the payload times the schema (each failing
 * branch of an anyOf, for each item), so larger payloads, and schemas with anyOf or oneOf, report
 * the first error only.
 */
export const MAX_DETAILED_PAYLOAD_BYTES = 64 * 1024;

interface Compiled {
  first: ValidateFunction;
  /** Compiled when first needed; null when the schema has anyOf or oneOf. */
  all?: ValidateFunction | null;
}

// Ajv keeps every schema it compiled for the life of the instance (about 20 KB each), so the cache
// and the instances are dropped together when the cache is full: memory stays bounded however many
// event types are created, changed or checked.
let ajvFirst = newAjv(false);
let ajvAll = newAjv(true);
let cache = new Map<string, Compiled>();

function compiledFor(schema: Record<string, unknown>): Compiled {
  const key = JSON.stringify(schema);
  let c = cache.get(key);
  if (!c) {
    if (cache.size >= MAX_CACHED) {
      ajvFirst = newAjv(false);
      ajvAll = newAjv(true);
      cache = new Map();
    }
    c = { first: ajvFirst.compile(schema) };
    cache.set(key, c);
  }
  return c;
}

function hasCombinators(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasCombinators);
  if (v === null || typeof v !== 'object') return false;
  return Object.entries(v).some(([k, x]) => k === 'anyOf' || k === 'oneOf' || hasCombinators(x));
}

const message = (e: { instancePath: string; message?: string }) =>
  `payload${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`;

/** null when the schema is usable, else why not. */
export function checkJsonSchema(schema: Record<string, unknown>): string | null {
  try {
    compiledFor(schema);
    return null;
  } catch (err) {
    return err instanceof UnsupportedPatternError ? err.message : `not a valid JSON Schema: ${(err as Error).message}`;
  }
}

/**
 * Errors of a payload against a schema, as short messages (at most 10); empty when valid. `size` is
 * the payload's JSON size when the caller knows it. Throws when the schema cannot be compiled (one
 * stored before its patterns had to run on RE2).
 */
export function payloadErrors(schema: Record<string, unknown>, payload: unknown, size?: number): string[] {
  const c = compiledFor(schema);
  if (c.first(payload)) return [];
  const firstErrors = (c.first.errors ?? []).slice(0, 1).map(message);
  if (c.all === undefined) c.all = hasCombinators(schema) ? null : ajvAll.compile(schema);
  if (c.all === null || (size ?? JSON.stringify(payload).length) > MAX_DETAILED_PAYLOAD_BYTES) return firstErrors;
  c.all(payload);
  return (c.all.errors ?? []).slice(0, 10).map(message);
}
