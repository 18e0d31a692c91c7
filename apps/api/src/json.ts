// The JSON body parser of the management API: refuses bodies nested deeper than any real request
// (deep nesting makes JSON.stringify and validators overflow the stack) and prototype-pollution keys.
import sjson from 'secure-json-parse';
import { errors } from './errors.ts';

export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a JSON text, counting brackets outside strings; stops early past the limit. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw errors.badRequest('request body is empty: send a JSON object');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
    throw errors.badRequest(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw errors.badRequest(`malformed JSON: ${(err as Error).message}`);
  }
}

/**
 * Whether a route takes a missing or empty body as `{}`: it declares no body, or a body in which
 * every field is optional (actions such as replay or rotate-secret, where `curl -X POST` is the
 * whole request).
 */
export function bodyIsOptional(schema: unknown): boolean {
  if (schema === undefined) return true;
  const s = schema as { type?: unknown; required?: unknown[] };
  return s.type === 'object' && (s.required === undefined || s.required.length === 0);
}
