// An example payload for an event type, made from its JSON Schema: the schema's own examples,
// defaults, consts and enums first, else a value of the declared type. Pure, tested under node.
type Schema = Record<string, unknown>;

export function exampleOf(schema: unknown, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  const s = schema as Schema;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('example' in s) return s.example;
  if ('default' in s) return s.default;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const k of ['oneOf', 'anyOf', 'allOf']) {
    const list = s[k];
    if (Array.isArray(list) && list.length > 0) return exampleOf(list[0], depth + 1);
  }
  const type: unknown = Array.isArray(s.type) ? (s.type as unknown[]).find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(props)) out[k] = exampleOf(v, depth + 1);
      return out;
    }
    case 'array':
      return s.items ? [exampleOf(s.items, depth + 1)] : [];
    case 'string':
      return s.format === 'date-time'
        ? '2026-01-01T00:00:00Z'
        : s.format === 'email'
          ? 'user@example.com'
          : s.format === 'uri'
            ? 'https://example.com'
            : 'string';
    case 'integer':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1.5;
    case 'boolean':
      return true;
    default:
      return s.properties ? exampleOf({ ...s, type: 'object' }, depth) : null;
  }
}

/** The payload to send for a type: its schema's example, or a plain object when it has no schema. */
export function examplePayload(schema: unknown, type: string): Record<string, unknown> {
  const v = exampleOf(schema);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { type, example: true };
}
