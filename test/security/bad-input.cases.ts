// Generators of whole requests for the bad-input suite: list query strings, path ids and ingests.
import fc from 'fast-check';
import { invalidUuid, junkValue, malformedJson, pollutionKey, toJson, weirdString } from './support.ts';

export interface Fixtures {
  /** Ids of account A (the caller). */
  aIds: string[];
  /** Ids of account B, which A must never see or touch. */
  bIds: string[];
  openToken: string;
  signedToken: string;
  unknownToken: string;
}

/** Percent-encodes every byte of the UTF-8 form (a lone surrogate becomes U+FFFD, as a client would send it). */
export function enc(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
    )
    .join('');
}

/** Sometimes raw (when the text can travel raw at all), usually encoded. */
const part = (s: string) =>
  fc.boolean().map((raw) => (raw && /^[\x21-\x7e]*$/.test(s) && !s.includes('#') ? s : enc(s)));

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** Times in and around what ISO 8601, JavaScript and Postgres each accept. */
export const timeValue: fc.Arbitrary<string> = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '4713-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999Z',
    '2024-02-30T00:00:00Z',
    '2024-01-01T00:00:00+25:00',
    '2024-12-31T23:59:60Z',
    '2024-01-01',
    'now',
    '1969-12-31T23:59:59Z',
  ),
  weirdString,
);

export function listQueryCase(fx: Fixtures): fc.Arbitrary<{ url: string; limit: number | null }> {
  const ids = fc.oneof(fc.constantFrom(...fx.aIds, ...fx.bIds), invalidUuid);
  const limit = fc.oneof(
    fc.integer({ min: -10, max: 1000 }).map(String),
    fc.constantFrom(
      '',
      '1e2',
      '0x10',
      'abc',
      '1.5',
      ' 5',
      '+5',
      '-0',
      '500',
      '501',
      '99999999999999999999',
      'NaN',
      'Infinity',
      'true',
      '[]',
    ),
  );
  const cursor = fc.oneof(
    fc
      .tuple(fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }), fc.uuid())
      .map(([n, u]) => b64url(`${n}|${u}`)),
    fc.constantFrom(...fx.aIds, ...fx.bIds).map(b64url),
    weirdString.map(b64url),
    weirdString,
    fc.constant('x'.repeat(513)),
  );
  const time = timeValue;
  const endpoints: Array<[string, Record<string, fc.Arbitrary<string>>]> = [
    ['/v1/api-keys', { limit, cursor }],
    ['/v1/sources', { limit, cursor }],
    ['/v1/destinations', { limit, cursor }],
    ['/v1/event-types', { limit, cursor }],
    ['/v1/routes', { limit, cursor, source_id: ids, destination_id: ids }],
    ['/v1/replays', { limit, cursor }],
    ['/v1/exports', { limit, cursor }],
    [
      '/v1/dead-letters',
      {
        limit,
        cursor,
        destination_id: ids,
        event_type: weirdString,
        since: time,
        until: time,
        replayed: fc.constantFrom('true', 'false', '1', 'maybe', ''),
      },
    ],
    ...['/v1/events', '/v1/outbound-events'].map((p): [string, Record<string, fc.Arbitrary<string>>] => [
      p,
      {
        limit,
        cursor,
        source_id: ids,
        destination_id: ids,
        status: fc.oneof(fc.constantFrom('delivered', 'dead_letter', 'unrouted', 'DELIVERED', 'x'), weirdString),
        event_type: weirdString,
        direction: fc.constantFrom('inbound', 'outbound', 'both', ''),
        since: time,
        until: time,
      },
    ]),
  ];
  return fc.constantFrom(...endpoints).chain(([path, fields]) => {
    const known = fc
      .tuple(fc.constantFrom(...Object.keys(fields)), fc.constant(null))
      .chain(([k]) => (fields[k] as fc.Arbitrary<string>).map((v): [string, string] => [k, v]));
    const stray = fc.tuple(
      fc.oneof(pollutionKey, fc.constantFrom('limit[]', 'limit[a]', 'a[b]', 'limit.x'), weirdString),
      weirdString,
    );
    const pairs = fc.array(fc.oneof({ weight: 6, arbitrary: known }, { weight: 1, arbitrary: stray }), {
      maxLength: 5,
    });
    return pairs.chain((ps) =>
      fc.tuple(...ps.map(([k, v]) => fc.tuple(part(k), part(v)))).map((encoded) => {
        const limits = ps.filter(([k]) => k === 'limit');
        const only = limits.length === 1 ? Number(limits[0]?.[1]) : limits.length === 0 ? 50 : NaN;
        return {
          url: encoded.length ? `${path}?${encoded.map(([k, v]) => `${k}=${v}`).join('&')}` : path,
          limit: Number.isFinite(only) ? Math.max(only, 0) : null,
        };
      }),
    );
  });
}

const templates: Array<[method: string, path: string, body?: string]> = [
  ['GET', '/v1/sources/:id'],
  ['PATCH', '/v1/sources/:id', '{"name":"x"}'],
  ['DELETE', '/v1/sources/:id'],
  ['GET', '/v1/destinations/:id'],
  ['PATCH', '/v1/destinations/:id', '{"active":false}'],
  ['DELETE', '/v1/destinations/:id'],
  ['POST', '/v1/destinations/:id/rotate-secret', '{}'],
  ['GET', '/v1/destinations/:id/stats'],
  ['POST', '/v1/destinations/:id/test', '{}'],
  ['GET', '/v1/routes/:id'],
  ['PATCH', '/v1/routes/:id', '{"active":false}'],
  ['DELETE', '/v1/routes/:id'],
  ['GET', '/v1/event-types/:id'],
  ['PATCH', '/v1/event-types/:id', '{"description":"x"}'],
  ['DELETE', '/v1/event-types/:id'],
  ['DELETE', '/v1/api-keys/:id'],
  ['GET', '/v1/events/:id'],
  ['GET', '/v1/outbound-events/:id'],
  ['POST', '/v1/events/:id/replay', '{}'],
  ['POST', '/v1/outbound-events/:id/replay', '{}'],
  ['GET', '/v1/replays/:id'],
  ['DELETE', '/v1/replays/:id'],
  ['GET', '/v1/exports/:id'],
  ['GET', '/v1/exports/:id/download'],
];

export function pathIdCase(fx: Fixtures): fc.Arbitrary<{ method: string; url: string; id: string; payload?: string }> {
  const traversal = fc.constantFrom(
    '..',
    '../sources',
    '%2e%2e',
    '..%2f..%2fv1',
    'a/b',
    '.',
    ' ',
    '%',
    '%zz',
    '?x=1',
    '*',
    '\\',
    'null',
    '0',
  );
  const id = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...fx.bIds) },
    { weight: 3, arbitrary: invalidUuid },
    { weight: 1, arbitrary: traversal },
  );
  return fc.tuple(fc.constantFrom(...templates), id).chain(([[method, path, body], raw]) =>
    // Raw dot segments would be resolved by any client before they reach a route: send those encoded.
    (/(^|\/)\.\.?(\/|$)/.test(raw) ? fc.constant(enc(raw)) : part(raw)).map((p) => ({
      method,
      url: path.replace(':id', p),
      id: raw,
      ...(body !== undefined ? { payload: body } : {}),
    })),
  );
}

const ascii = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

export function ingestCase(
  fx: Fixtures,
): fc.Arbitrary<{ token: string; url: string; headers: Record<string, string>; payload: Buffer }> {
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const token = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(fx.openToken, fx.signedToken, fx.unknownToken) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        flip(fx.openToken, 4),
        flip(fx.openToken, fx.openToken.length - 1),
        fx.openToken.toUpperCase(),
        `${fx.openToken}x`,
        fx.openToken.slice(0, -1),
      ),
    },
    { weight: 2, arbitrary: weirdString.filter((s) => s.length > 0) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(257), '..', '%00', 'src_') },
    { weight: 1, arbitrary: invalidUuid.filter((s) => s.length > 0) },
  );
  const headers = fc.record(
    {
      'content-type': fc.oneof(
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/octet-stream',
          'multipart/form-data',
          'application/json; charset=utf-16',
        ),
        ascii(40),
      ),
      'x-event-type': fc.oneof(ascii(30), fc.constant('e'.repeat(300))),
      'idempotency-key': fc.oneof(ascii(20), fc.constant('k'.repeat(513)), fc.constant('k'.repeat(512))),
      'x-webhook-id': ascii(20),
      'x-sig': ascii(70),
      authorization: fc.constant('Bearer hk_not_a_key_at_all'),
      cookie: ascii(20),
    },
    { requiredKeys: [] },
  );
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
    junkValue.map((v) => Buffer.from(toJson(v))),
    malformedJson.map((s) => Buffer.from(s)),
  );
  return fc
    .tuple(token, headers, payload)
    .chain(([tok, h, body]) => part(tok).map((p) => ({ token: tok, url: `/ingest/${p}`, headers: h, payload: body })));
}
