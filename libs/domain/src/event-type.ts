/**
 * Event-type patterns, as stored on a route's `event_type_pattern`.
 *
 * Syntax (also in docs/routing.md):
 * - A type and a pattern are split on '.' into segments; a literal segment matches the same
 *   segment exactly (case-sensitive).
 * - `*` matches exactly one segment: `payment.*` matches `payment.succeeded`, not `payment` nor
 *   `payment.intent.created`. A pattern of only `*` matches any single-segment type.
 * - `**` or `>` as the LAST segment matches one or more remaining segments: `payment.**` matches
 *   `payment.succeeded` and `payment.intent.created`, not `payment`. `>` is the NATS spelling.
 * - A null or '' pattern matches every event, including events with no type.
 * - A non-null pattern never matches an event with no type (null or '').
 * - Wildcards match non-empty segments only, so a malformed type such as `payment.` or `a..b`
 *   is matched by a null pattern and nothing else.
 *
 * Valid patterns: at most 200 characters, no empty segments, each segment made of
 * `[A-Za-z0-9_\-:]` or exactly one of `*`, `**`, `>` (wildcards are whole segments), and
 * `**` / `>` only as the last segment. An invalid pattern never matches anything.
 */

export const MAX_EVENT_TYPE_PATTERN_LENGTH = 200;

const LITERAL_SEGMENT = /^[A-Za-z0-9_\-:]+$/;
const ALLOWED_CHARS = /^[A-Za-z0-9_\-:*>]+$/;

/** A pattern compiled once: its segments, and whether it ends in a multi-segment tail. */
interface CompiledPattern {
  readonly any: boolean; // null / '' pattern
  readonly segments: readonly string[]; // without the tail wildcard
  readonly tail: boolean; // ended in `**` or `>`
}

/** Returns an error message, or null when the pattern is valid ('' and null are valid: "any"). */
export function validateEventTypePattern(pattern: string | null): string | null {
  if (pattern === null || pattern === '') return null;
  if (typeof pattern !== 'string') return 'event_type_pattern must be a string';
  if (pattern.length > MAX_EVENT_TYPE_PATTERN_LENGTH) {
    return `event_type_pattern must be at most ${MAX_EVENT_TYPE_PATTERN_LENGTH} characters`;
  }
  const segments = pattern.split('.');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    if (seg === '') return 'event_type_pattern must not contain empty segments';
    if (!ALLOWED_CHARS.test(seg)) {
      return `event_type_pattern segment "${seg}" has characters outside [A-Za-z0-9_-:*>]`;
    }
    if (seg === '*') continue;
    if (seg === '**' || seg === '>') {
      if (i !== segments.length - 1) return `"${seg}" is only allowed as the last segment of event_type_pattern`;
      continue;
    }
    if (!LITERAL_SEGMENT.test(seg)) {
      return `event_type_pattern segment "${seg}" mixes wildcards with other characters; use "*", "**" or ">" as a whole segment`;
    }
  }
  return null;
}

// Routers match every event against every route pattern: compile each distinct pattern once.
// Bounded so that a stream of distinct patterns cannot grow memory without limit.
const CACHE_LIMIT = 10_000;
const cache = new Map<string, CompiledPattern | null>();

function compile(pattern: string): CompiledPattern | null {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let compiled: CompiledPattern | null = null;
  if (validateEventTypePattern(pattern) === null) {
    const segments = pattern.split('.');
    const last = segments[segments.length - 1];
    const tail = last === '**' || last === '>';
    compiled = { any: false, segments: tail ? segments.slice(0, -1) : segments, tail };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** True when `eventType` matches `pattern` (see the syntax above). Never throws. */
export function matchEventType(pattern: string | null, eventType: string | null): boolean {
  if (pattern === null || pattern === '') return true;
  if (eventType === null || eventType === '' || typeof eventType !== 'string') return false;
  if (typeof pattern !== 'string') return false;
  const compiled = compile(pattern);
  if (compiled === null) return false;
  const typeSegments = eventType.split('.');
  const fixed = compiled.segments.length;
  if (compiled.tail ? typeSegments.length <= fixed : typeSegments.length !== fixed) return false;
  for (let i = 0; i < fixed; i++) {
    const p = compiled.segments[i] as string;
    const s = typeSegments[i] as string;
    if (p === '*' ? s === '' : p !== s) return false;
  }
  if (compiled.tail) {
    for (let i = fixed; i < typeSegments.length; i++) if (typeSegments[i] === '') return false;
  }
  return true;
}

/** Whether an event-type filter is meant as a pattern (it has a wildcard character) rather than one type. */
export function isEventTypePattern(value: string): boolean {
  return value.includes('*') || value.includes('>');
}

/**
 * A valid pattern with wildcards as a query on stored types: a POSIX regular expression (Postgres
 * `~`) matching exactly the types matchEventType matches, and the literal text every match starts
 * with (for an index-friendly LIKE; '' when the pattern starts with a wildcard). Literal segments
 * hold only [A-Za-z0-9_\-:], none of them special in a regular expression; `_` is special in LIKE,
 * so the prefix comes with LIKE's metacharacters escaped by a backslash.
 */
export function eventTypePatternQuery(pattern: string): { regex: string; likePrefix: string } | null {
  if (pattern === '' || validateEventTypePattern(pattern) !== null) return null;
  const segments = pattern.split('.');
  const last = segments[segments.length - 1];
  const tail = last === '**' || last === '>';
  const fixed = tail ? segments.slice(0, -1) : segments;
  const parts = fixed.map((s) => (s === '*' ? '[^.]+' : s));
  if (tail) parts.push('[^.]+(\\.[^.]+)*');
  const firstWildcard = fixed.indexOf('*');
  const literal = firstWildcard === -1 ? fixed : fixed.slice(0, firstWildcard);
  const prefix =
    literal.length === 0 ? '' : literal.length < segments.length ? `${literal.join('.')}.` : literal.join('.');
  return { regex: `^${parts.join('\\.')}$`, likePrefix: prefix.replace(/[\\%_]/g, '\\$&') };
}
