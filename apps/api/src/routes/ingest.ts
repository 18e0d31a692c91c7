// POST /ingest/{token}: any body up to 5 MB, stored byte for byte in JetStream before the 202.
// Never touches Postgres. Verification runs on the raw bytes.
import { hash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type EventMeta, type SourceRecord, api } from '@hookstream/contracts';
import { timeOrderedId } from '@hookstream/domain';
import { verifyInbound } from '@hookstream/signing';
import type { ApiDeps } from '../context.ts';
import { errors } from '../errors.ts';
import { ok } from '../http.ts';

export const INGEST_BODY_LIMIT = 5 * 1024 * 1024;

/** Checked in this order; the first present one is the idempotency key. */
export const IDEMPOTENCY_HEADERS = ['x-webhook-id', 'x-event-id', 'idempotency-key', 'x-request-id'] as const;

/** Never stored: credentials, and headers that describe the hop rather than the webhook. */
const DROPPED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'content-length',
  'host',
  'expect',
]);
const MAX_STORED_HEADERS = 100;
const MAX_KEY_LENGTH = 512;

function storedHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || DROPPED_HEADERS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
    if (++n >= MAX_STORED_HEADERS) break;
  }
  return out;
}

function header(raw: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = raw[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.length > 0 ? s : null;
}

/** The body as JSON, parsed at most once and only when asked; undefined when it is not JSON. */
function lazyJson(body: Buffer): () => unknown {
  let parsed: { value: unknown } | null = null;
  return () => {
    if (!parsed) {
      try {
        parsed = { value: body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined };
      } catch {
        parsed = { value: undefined };
      }
    }
    return parsed.value;
  };
}

/** Event type: X-Event-Type, else the provider's own header, else a JSON body's "type" (Stripe, Standard Webhooks). */
function eventTypeOf(
  source: SourceRecord,
  h: Record<string, string | string[] | undefined>,
  body: Buffer,
  json: () => unknown,
): string | null {
  const explicit = header(h, 'x-event-type') ?? header(h, 'x-github-event') ?? header(h, 'x-shopify-topic');
  if (explicit) return explicit.slice(0, 256);
  const provider = source.verification_config?.provider;
  if ((provider === 'stripe' || provider === 'standard_webhooks') && body.length < 1024 * 1024) {
    const type = (json() as { type?: unknown } | undefined)?.type;
    if (typeof type === 'string') return type.slice(0, 256);
  }
  return null;
}

/**
 * The provider's own id of this delivery, for a source whose signature was just verified. GitHub and
 * Shopify sign no timestamp, so without it a captured request could be sent again as a new event;
 * the provider's retries of one delivery carry the same id too.
 */
function providerDeliveryId(
  source: SourceRecord,
  h: Record<string, string | string[] | undefined>,
  json: () => unknown,
): string | null {
  switch (source.verification_config?.provider) {
    case 'github':
      return header(h, 'x-github-delivery');
    case 'shopify':
      return header(h, 'x-shopify-webhook-id');
    case 'standard_webhooks':
      return header(h, 'webhook-id');
    case 'stripe': {
      const id = (json() as { id?: unknown } | undefined)?.id;
      return typeof id === 'string' && id.length > 0 ? id : null;
    }
    // A generic HMAC carries no delivery id the provider promises to keep.
    case 'hmac':
    case undefined:
      return null;
  }
}

const COMMON_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain'];

export function ingestRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    // Every content type is accepted here, as raw bytes.
    root.removeAllContentTypeParsers();
    const raw = { parseAs: 'buffer', bodyLimit: INGEST_BODY_LIMIT } as const;
    const keep = (_req: unknown, body: string | Buffer, done: (err: null, body: string | Buffer) => void) =>
      done(null, body);
    root.addContentTypeParser('*', raw, keep);
    // The same parser under the types webhooks use: Fastify caches its lookup by content type for
    // named parsers, while the catch-all makes it parse the header again on every request.
    for (const type of COMMON_TYPES) root.addContentTypeParser(type, raw, keep);
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog, publisher, metrics } = deps;
    if (metrics) {
      const duplicates = new WeakSet<object>();
      app.decorateRequest('markDuplicate', function (this: object) {
        duplicates.add(this);
      });
      app.addHook('onResponse', async (request, reply) => {
        const s = reply.statusCode;
        const outcome =
          s === 202
            ? duplicates.has(request)
              ? 'duplicate'
              : 'accepted'
            : s === 401
              ? 'unauthorized'
              : s === 404
                ? 'not_found'
                : s === 413
                  ? 'too_large'
                  : s < 500
                    ? 'bad_request'
                    : 'error';
        metrics.ingest(outcome, reply.elapsedTime / 1000);
      });
    }
    const nowMs = () => deps.now?.() ?? Date.now();

    app.post(
      '/ingest/:token',
      {
        bodyLimit: INGEST_BODY_LIMIT,
        schema: { params: api.IngestParams, response: { 202: api.envelope(api.IngestAccepted), '4xx': api.ErrorBody } },
      },
      async (request, reply) => {
        const source = catalog.view.sourceForToken(request.params.token);
        if (!source || !source.active) throw errors.notFound('source');
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const h = request.headers;
        const config = source.auth_mode === 'shared_secret' ? source.verification_config : null;
        if (config) {
          const v = verifyInbound(config, body, h, Math.floor(nowMs() / 1000));
          if (!v.ok) throw errors.signature(`signature verification failed: ${v.reason}`);
        }
        const json = lazyJson(body);
        let key: string | null = null;
        for (const name of IDEMPOTENCY_HEADERS) {
          key = header(h, name);
          if (key) break;
        }
        if (key && key.length > MAX_KEY_LENGTH)
          throw errors.badRequest(`idempotency key longer than ${MAX_KEY_LENGTH} characters`);
        // Only a verified request's id is trusted: an unverified one could be chosen to shadow a real delivery.
        if (!key && config) {
          const id = providerDeliveryId(source, h, json);
          if (id && id.length <= MAX_KEY_LENGTH) key = id;
        }
        const id = timeOrderedId();
        const meta: EventMeta = {
          v: 1,
          event_id: id,
          account_id: source.account_id,
          direction: 'inbound',
          source_id: source.id,
          event_type: eventTypeOf(source, h, body, json),
          received_at: new Date(nowMs()).toISOString(),
          content_type: header(h, 'content-type'),
          headers: storedHeaders(h),
          labels: null,
          idempotency_key: key,
        };
        // Keys are scoped to the source: two sources may use the same key without colliding.
        const msgId = key ? `idem:${source.id}:${hash('sha256', key, 'base64url')}` : null;
        let stored;
        const started = performance.now();
        try {
          stored = await publisher.publishEvent(meta, body, msgId);
        } catch (err) {
          throw errors.unavailable('the event store did not confirm the write; retry', err);
        }
        metrics?.publish('events', (performance.now() - started) / 1000);
        if (stored.duplicate) {
          (request as unknown as { markDuplicate?: () => void }).markDuplicate?.();
          return ok(reply, { status: 'accepted', note: 'duplicate' }, 202);
        }
        return ok(reply, { id, status: 'queued' }, 202);
      },
    );
  };
}
