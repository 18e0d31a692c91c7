// Shared pieces of the bad-input and security suites: hostile-value generators (fast-check), the
// "never a 5xx, always the envelope, nothing stored on a 4xx" probe, and stream/config snapshots.
//
// Runs are reproducible: every property uses FC_SEED (default below) and FC_RUNS cases. To search
// harder, e.g.:  FC_SEED=$RANDOM FC_RUNS=2000 tap test/security/bad-input.int.test.ts
// A failure prints the seed and the failing input; rerun with that FC_SEED to reproduce, and add
// FC_SHRINK=1 to shrink it to a minimal one.
import fc from 'fast-check';
import type { Broker } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import { STREAMS } from '@hookstream/contracts';
import type { ApiApp } from '../../apps/api/src/build.ts';

export const FC_SEED = Number(process.env.FC_SEED ?? 20240909);
/** Cases per property; each is one or two requests against the real API. */
export const FC_RUNS = Number(process.env.FC_RUNS ?? 100);

/** Shrinking replays a failing input many times, and these inputs can be megabytes: opt in with FC_SHRINK=1. */
export const FC_SHRINK = process.env.FC_SHRINK === '1';

export function fcParams<T>(runs = FC_RUNS): fc.Parameters<T> {
  return { seed: FC_SEED, numRuns: runs, endOnFailure: !FC_SHRINK };
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** A failure in a few lines: the error, the shrunk input (clipped: inputs can be megabytes) and how to replay it. */
export function failureReport<T>(out: fc.RunDetails<T>): string {
  const err = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  return `${clip(err, 600)}\n  input: ${clip(fc.stringify(out.counterexample), 600)}\n  replay: FC_SEED=${out.seed} (path ${out.counterexamplePath}), after ${out.numShrinks} shrinks`;
}

// ---------- a JSON syntax tree, so that bodies can hold what JSON.stringify cannot write ----------
// (duplicate keys, `__proto__` as an own key, number tokens like 1e999, raw fragments)

export type J = null | boolean | number | string | J[] | { obj: Array<[string, J]> } | { raw: string };

export function toJson(v: J): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if ('raw' in v) return v.raw;
  return `{${v.obj.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
}

export const obj = (entries: Array<[string, J]>): J => ({ obj: entries });

const loneSurrogates = fc.constantFrom('\ud800', '\udfff', 'a\ud83d', '\udc00b', '\ud83d\ud83d');
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\r\n',
  'null',
  'undefined',
  '../../etc/passwd',
  '%00',
  '%zz',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '\u202e\u200b\ufeff',
  '🙂'.repeat(300),
  'é'.repeat(2000),
  '__proto__',
  'constructor',
);
export const hugeString = fc
  .integer({ min: 5_000, max: 300_000 })
  .chain((n) => fc.constantFrom('x'.repeat(n), 'ü'.repeat(n), '\\'.repeat(n)));

export const weirdString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: loneSurrogates },
  { weight: 3, arbitrary: nasty },
  { weight: 1, arbitrary: hugeString },
);

/** Number tokens written raw: some are not representable (1e999 parses to Infinity). */
const numberToken = fc.constantFrom(
  '1e999',
  '-1e999',
  '-0',
  '1E400',
  '123456789012345678901234567890',
  '0.1e-400',
  '1.0',
  '2e0',
);
export const weirdNumber: fc.Arbitrary<J> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    -1,
    0,
    1,
    0.5,
    -0.5,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1e308,
    -1e308,
    5e-324,
  ),
  numberToken.map((raw) => ({ raw })),
);

export const invalidUuid: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().map((u) => u.slice(0, -1)),
  fc.uuid().map((u) => `${u}0`),
  fc.uuid().map((u) => u.replaceAll('-', '')),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid(), // well-formed, and unknown
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-uuid', '-', '_', '0', 'a'.repeat(64), 'a'.repeat(65)),
  weirdString,
);

export const pollutionKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
);

/** Raw deep nesting: parsers may cope, recursive serialisers and validators may not. */
export const deep: fc.Arbitrary<J> = fc
  .tuple(fc.integer({ min: 500, max: 100_000 }), fc.constantFrom('[', '{"a":'))
  .map(([d, open]) => ({
    raw: open === '[' ? `${'['.repeat(d)}${']'.repeat(d)}` : `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`,
  }));

const protoObject: fc.Arbitrary<J> = fc
  .tuple(
    pollutionKey,
    fc.constantFrom<J>({ obj: [['polluted', true]] }, { obj: [['prototype', { obj: [['polluted', true]] }]] }, 'x', 1),
  )
  .map(([k, v]) => obj([[k, v]]));

const { junk } = fc.letrec<{ junk: J }>((tie) => ({
  junk: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    weirdString,
    weirdNumber,
    fc.boolean(),
    fc.constant(null),
    protoObject,
    fc.array(tie('junk'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(weirdString, pollutionKey), tie('junk')), { maxLength: 4 }).map(obj),
  ),
}));
/** Any JSON value, leaning towards the hostile. */
export const junkValue: fc.Arbitrary<J> = fc.oneof({ weight: 8, arbitrary: junk }, { weight: 1, arbitrary: deep });

/** Text that is not JSON, or not quite. */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '{',
    '}',
    '{"a":1,}',
    "{'a':1}",
    '{"a":1}/*c*/',
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":undefined}',
    '\ufeff{}',
    '{}{}',
    '[',
    '"',
    'nul',
    'tru',
    '{"a":"\\u12"}',
    '{"a":"\\x41"}',
    '{"\u0000":1}',
    '01',
    '{"a":01}',
  ),
  junk
    .map((v) => toJson(v))
    .chain((s) => fc.integer({ min: 0, max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n))),
);

/**
 * An object body for an endpoint: a random subset of its fields, each a plausible value or junk,
 * plus stray keys (prototype pollution included) and, sometimes, a duplicate key.
 */
export function objectBody(fields: Record<string, fc.Arbitrary<J>>): fc.Arbitrary<J> {
  const entries = Object.entries(fields).map(([k, valid]) =>
    fc.option(
      fc.tuple(fc.constant(k), fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: junkValue })),
      { nil: null, freq: 3 },
    ),
  );
  const stray = fc.array(fc.tuple(fc.oneof(pollutionKey, weirdString), junkValue), { maxLength: 2 });
  return fc
    .tuple(fc.tuple(...entries), fc.option(stray, { nil: [], freq: 3 }))
    .map(([picked, extra]) => obj([...picked.filter((e): e is [string, J] => e !== null), ...extra]));
}

export interface BodyCase {
  contentType: string | undefined;
  payload: string | Buffer;
}

const contentTypes = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=x',
      'application/JSON',
      'application/json;;',
      '*/*',
    ),
  },
);

/** A request body for a JSON endpoint: usually an object of its fields, else anything. */
export function bodyCase(fields: Record<string, fc.Arbitrary<J>>): fc.Arbitrary<BodyCase> {
  const text = fc.oneof(
    { weight: 8, arbitrary: objectBody(fields).map(toJson) },
    { weight: 2, arbitrary: junkValue.map(toJson) },
    { weight: 2, arbitrary: malformedJson },
  );
  const payload = fc.oneof(
    { weight: 10, arbitrary: text },
    // Bytes that are not UTF-8 inside a JSON string.
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 40 })
        .map((b) =>
          Buffer.concat([Buffer.from('{"name":"'), Buffer.from(b), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
        ),
    },
  );
  return fc.record({ contentType: contentTypes, payload });
}

// ---------- the probe ----------

export interface Snapshot {
  revision: number;
  events: number;
  deliveries: number;
}

/** What a request could have stored: config KV revision, and the last sequence of the streams it writes. */
export async function snapshot(broker: Broker, catalog: Catalog): Promise<Snapshot> {
  const [ev, dl] = await Promise.all([broker.streams.info(STREAMS.events), broker.streams.info(STREAMS.deliveries)]);
  return { revision: catalog.view.lastRevision, events: ev.state.last_seq, deliveries: dl.state.last_seq };
}

export interface Probed {
  status: number;
  body: any;
  raw: string;
  before: Snapshot;
  after: Snapshot;
}

export class ProbeFailure extends Error {
  override name = 'ProbeFailure';
}

/**
 * Sends one request and enforces the bad-input contract: no 5xx; a 4xx carries {error: string,
 * duration_ms: number} and changed nothing (deliveries too when `deliveries` is set: only callers
 * that know nothing else publishes there ask for it). Returns the answer for 2xx sanity checks.
 */
export async function probe(
  ctx: { app: ApiApp; broker: Broker; catalog: Catalog },
  req: { method: string; url: string; headers?: Record<string, string>; payload?: string | Buffer },
  opts: { deliveries?: boolean } = {},
): Promise<Probed> {
  const before = await snapshot(ctx.broker, ctx.catalog);
  const res = await ctx.app.inject({
    method: req.method as 'GET',
    url: req.url,
    headers: req.headers ?? {},
    ...(req.payload !== undefined ? { payload: req.payload } : {}),
  });
  const after = await snapshot(ctx.broker, ctx.catalog);
  const where = `${req.method} ${req.url.slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  let body: any = null;
  try {
    body = res.body === '' ? null : JSON.parse(res.body);
  } catch {
    throw new ProbeFailure(`not JSON: ${where}`);
  }
  if (res.statusCode >= 500) throw new ProbeFailure(`server error: ${where}`);
  if (res.statusCode >= 400) {
    if (
      typeof body?.error !== 'string' ||
      body.error === '' ||
      typeof body?.duration_ms !== 'number' ||
      'data' in body
    ) {
      throw new ProbeFailure(`4xx without the error envelope: ${where}`);
    }
    if (
      before.revision !== after.revision ||
      before.events !== after.events ||
      (opts.deliveries && before.deliveries !== after.deliveries)
    ) {
      throw new ProbeFailure(`4xx with a stored change ${JSON.stringify(before)} → ${JSON.stringify(after)}: ${where}`);
    }
  } else if (res.statusCode !== 204) {
    if (typeof body?.duration_ms !== 'number' || !('data' in body))
      throw new ProbeFailure(`2xx without the data envelope: ${where}`);
  }
  return { status: res.statusCode, body, raw: res.body, before, after };
}

export function assertThat(cond: unknown, message: string): asserts cond {
  if (!cond) throw new ProbeFailure(message);
}
