/**
 * Payload filters on routes, in the spirit of Hook0 / MongoDB queries:
 *
 *   { "data.amount": { "$gt": 100 },
 *     "$or": [ { "type": "a" }, { "type": { "$in": ["b", "c"] } } ] }
 *
 * - Every top-level key must hold (AND). A key is a dot path into the payload (array elements by
 *   index: `items.0.sku`) or one of `$and` / `$or`, which take a non-empty array of filters.
 * - A path's value is either an operator object (every key starts with '$'; all operators must
 *   hold) or a plain JSON value, which means `$eq`.
 * - `$eq` / `$neq` compare JSON values deeply (arrays by order, objects by key set). `$in` / `$nin`
 *   take an array. `$exists` takes a boolean; a path holding null exists. `$gt $gte $lt $lte` take
 *   a number or a string and only compare like with like (numbers numerically, strings by code
 *   unit, which orders ISO-8601 timestamps correctly); otherwise they fail.
 * - A missing path fails every operator except `$exists: false`, `$neq` and `$nin`. A payload that
 *   is not JSON (undefined) has every path missing.
 * - Paths must not use `__proto__`, `constructor` or `prototype`; lookups use own properties only.
 * - Nesting depth of the filter is capped at 16 levels, paths at 32 segments / 256 characters.
 *
 * `matchPayloadFilter` never throws: anything `validatePayloadFilter` would refuse does not match.
 */

export type PayloadFilter = Record<string, unknown>;

export const MAX_FILTER_DEPTH = 16;
export const MAX_PATH_SEGMENTS = 32;
export const MAX_PATH_LENGTH = 256;
const MAX_FILTER_NODES = 1_000; // bounds the work one event can cost a router

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const FIELD_OPERATORS = new Set(['$eq', '$neq', '$in', '$nin', '$exists', '$gt', '$gte', '$lt', '$lte']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function validatePath(path: string): string | null {
  if (path.length === 0) return 'payload_filter paths must not be empty';
  if (path.length > MAX_PATH_LENGTH) return `payload_filter path is longer than ${MAX_PATH_LENGTH} characters`;
  if (path.startsWith('$')) return `payload_filter: unknown operator "${path}"`;
  const segments = path.split('.');
  if (segments.length > MAX_PATH_SEGMENTS)
    return `payload_filter path "${path}" has more than ${MAX_PATH_SEGMENTS} segments`;
  for (const seg of segments) {
    if (seg === '') return `payload_filter path "${path}" has an empty segment`;
    if (FORBIDDEN_SEGMENTS.has(seg)) return `payload_filter path "${path}" uses the forbidden segment "${seg}"`;
  }
  return null;
}

/** Checks that a literal is plain JSON; `depth` counts the levels already used by the filter. */
function validateJsonValue(v: unknown, depth: number, budget: { nodes: number }): string | null {
  if (--budget.nodes < 0) return `payload_filter has more than ${MAX_FILTER_NODES} nodes`;
  if (depth > MAX_FILTER_DEPTH) return `payload_filter is nested deeper than ${MAX_FILTER_DEPTH} levels`;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : 'payload_filter numbers must be finite';
  if (Array.isArray(v)) {
    for (const item of v) {
      const err = validateJsonValue(item, depth + 1, budget);
      if (err) return err;
    }
    return null;
  }
  if (isPlainObject(v)) {
    for (const [k, item] of Object.entries(v)) {
      if (k === '__proto__') return 'payload_filter values must not contain the key "__proto__"';
      const err = validateJsonValue(item, depth + 1, budget);
      if (err) return err;
    }
    return null;
  }
  return 'payload_filter values must be JSON';
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.some((k) => k.startsWith('$'));
}

function validateCondition(path: string, cond: unknown, depth: number, budget: { nodes: number }): string | null {
  if (!isOperatorObject(cond)) return validateJsonValue(cond, depth, budget);
  if (--budget.nodes < 0) return `payload_filter has more than ${MAX_FILTER_NODES} nodes`;
  for (const [op, operand] of Object.entries(cond)) {
    if (!FIELD_OPERATORS.has(op)) {
      return op.startsWith('$')
        ? `payload_filter: unknown operator "${op}" on "${path}"`
        : `payload_filter: "${path}" mixes operators with plain keys ("${op}")`;
    }
    if (op === '$exists') {
      if (typeof operand !== 'boolean') return `payload_filter: $exists on "${path}" takes true or false`;
    } else if (op === '$in' || op === '$nin') {
      if (!Array.isArray(operand)) return `payload_filter: ${op} on "${path}" takes an array`;
    } else if (op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') {
      if (typeof operand !== 'string' && (typeof operand !== 'number' || !Number.isFinite(operand))) {
        return `payload_filter: ${op} on "${path}" takes a number or a string`;
      }
    }
    const err = validateJsonValue(operand, depth + 1, budget);
    if (err) return err;
  }
  return null;
}

function validateFilter(f: unknown, depth: number, budget: { nodes: number }): string | null {
  if (depth > MAX_FILTER_DEPTH) return `payload_filter is nested deeper than ${MAX_FILTER_DEPTH} levels`;
  if (!isPlainObject(f)) return 'payload_filter must be an object';
  if (--budget.nodes < 0) return `payload_filter has more than ${MAX_FILTER_NODES} nodes`;
  for (const [key, value] of Object.entries(f)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0)
        return `payload_filter: ${key} takes a non-empty array of filters`;
      for (const sub of value) {
        const err = validateFilter(sub, depth + 2, budget);
        if (err) return err;
      }
      continue;
    }
    const pathErr = validatePath(key);
    if (pathErr) return pathErr;
    const err = validateCondition(key, value, depth + 1, budget);
    if (err) return err;
  }
  return null;
}

/** Returns an error message, or null when `f` is a valid filter (null/undefined: no filter). */
export function validatePayloadFilter(f: unknown): string | null {
  if (f === null || f === undefined) return null;
  return validateFilter(f, 1, { nodes: MAX_FILTER_NODES });
}

// ---------- evaluation ----------

const MISSING: unique symbol = Symbol('missing');
/** A value at the path, or MISSING (null is a value). */
type Resolved = unknown;

function resolvePath(payload: unknown, path: string): Resolved {
  if (payload === undefined) return MISSING;
  let cur: unknown = payload;
  for (const seg of path.split('.')) {
    if (FORBIDDEN_SEGMENTS.has(seg) || seg === '') return MISSING;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return MISSING;
      const i = Number(seg);
      if (i >= cur.length) return MISSING;
      cur = cur[i];
    } else if (isPlainObject(cur)) {
      if (!Object.hasOwn(cur, seg)) return MISSING;
      cur = cur[seg];
    } else {
      return MISSING;
    }
  }
  return cur === undefined ? MISSING : cur;
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || !isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false;
  return true;
}

function compare(value: unknown, operand: unknown): number | null {
  if (typeof value === 'number' && typeof operand === 'number') return value - operand;
  if (typeof value === 'string' && typeof operand === 'string') return value < operand ? -1 : value > operand ? 1 : 0;
  return null;
}

function matchOperator(op: string, operand: unknown, value: Resolved): boolean {
  const missing = value === MISSING;
  switch (op) {
    case '$exists':
      return typeof operand === 'boolean' && operand === !missing;
    case '$eq':
      return !missing && jsonEqual(value, operand);
    case '$neq':
      return missing || !jsonEqual(value, operand);
    case '$in':
      return !missing && Array.isArray(operand) && operand.some((o) => jsonEqual(value, o));
    case '$nin':
      return Array.isArray(operand) && (missing || !operand.some((o) => jsonEqual(value, o)));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (missing) return false;
      const c = compare(value, operand);
      if (c === null || Number.isNaN(c)) return false;
      return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
    }
    default:
      return false;
  }
}

function matchFilter(filter: unknown, payload: unknown, depth: number): boolean {
  if (depth > MAX_FILTER_DEPTH || !isPlainObject(filter)) return false;
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(cond) || cond.length === 0) return false;
      const ok =
        key === '$and'
          ? cond.every((sub) => matchFilter(sub, payload, depth + 2))
          : cond.some((sub) => matchFilter(sub, payload, depth + 2));
      if (!ok) return false;
      continue;
    }
    if (key.startsWith('$')) return false;
    const value = resolvePath(payload, key);
    if (isOperatorObject(cond)) {
      for (const [op, operand] of Object.entries(cond)) if (!matchOperator(op, operand, value)) return false;
    } else if (!matchOperator('$eq', cond, value)) {
      return false;
    }
  }
  return true;
}

/** True when `payload` satisfies `filter`; a null/undefined filter matches everything. */
export function matchPayloadFilter(filter: PayloadFilter | null | undefined, payload: unknown): boolean {
  if (filter === null || filter === undefined) return true;
  return matchFilter(filter, payload, 1);
}
