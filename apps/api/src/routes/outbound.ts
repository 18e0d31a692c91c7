// POST /v1/outbound-events: a SaaS publishes one event; the router fans it out to every matching
// destination (only the named customer's, when it names one) through the same pipeline as inbound
// webhooks.
import { hash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type EventMeta, api } from '@hookstream/contracts';
import { stableUuid, timeOrderedId } from '@hookstream/domain';
import type { ApiDeps } from '../context.ts';
import { ApiError, errors } from '../errors.ts';
import { ok } from '../http.ts';
import { MAX_VALIDATED_PAYLOAD_BYTES } from '../schemas.ts';
import { VALIDATION_MEMORY_MB, VALIDATION_TIMEOUT_MS, createPayloadValidator } from '../payload-validator.ts';

export const OUTBOUND_BODY_LIMIT = 8 * 1024 * 1024;
const MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;

export function outboundRoutes(deps: ApiDeps) {
  return (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const { catalog, publisher } = deps;
    const nowMs = () => deps.now?.() ?? Date.now();
    const validator = createPayloadValidator();
    root.addHook('onClose', () => validator.close());

    app.post(
      '/outbound-events',
      {
        bodyLimit: OUTBOUND_BODY_LIMIT,
        // Traffic, not a change to the account: its record is the event log.
        config: { audit: false },
        schema: {
          body: api.PublishOutboundBody,
          response: { 202: api.envelope(api.OutboundAccepted), '4xx': api.ErrorBody },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const given = [b.payload !== undefined, b.payload_text !== undefined, b.payload_base64 !== undefined].filter(
          Boolean,
        ).length;
        if (given !== 1) throw errors.badRequest('give exactly one of payload (JSON), payload_text or payload_base64');
        let body: Buffer;
        let contentType: string;
        if (b.payload !== undefined) {
          body = Buffer.from(JSON.stringify(b.payload));
          const type = catalog.view.eventTypeOf(request.accountId, b.event_type);
          if (type?.schema) {
            // Bounded in size here, in time and memory by the validator's workers.
            if (body.length > MAX_VALIDATED_PAYLOAD_BYTES) {
              throw errors.tooLarge(
                `payload is ${body.length} bytes: a payload checked against the schema of '${b.event_type}' may be at most 1 MB (${MAX_VALIDATED_PAYLOAD_BYTES} bytes)`,
              );
            }
            const r = await validator.check(type.schema, b.payload, body.length);
            if (!r.ok && r.kind === 'unusable') {
              throw errors.badRequest(
                `the schema of event type '${b.event_type}' cannot be used: ${r.reason}; fix it with PATCH /v1/event-types/${type.id}`,
              );
            }
            if (!r.ok && r.kind === 'busy')
              throw errors.unavailable(
                'too many payloads are waiting to be checked against their schemas; retry shortly',
              );
            if (!r.ok && r.kind === 'too_costly') {
              throw new ApiError(
                400,
                'validation_too_costly',
                `checking the payload against the schema of '${b.event_type}' was stopped: ${r.reason} (the limits are ${VALIDATION_TIMEOUT_MS / 1000} s and ${VALIDATION_MEMORY_MB} MB); simplify the schema or send a smaller payload`,
              );
            }
            if (!r.ok)
              throw errors.badRequest(`payload does not match the schema of '${b.event_type}': ${r.errors.join('; ')}`);
          }
          contentType = b.content_type ?? 'application/json';
        } else if (b.payload_text !== undefined) {
          body = Buffer.from(b.payload_text, 'utf8');
          contentType = b.content_type ?? 'text/plain; charset=utf-8';
        } else {
          body = Buffer.from(b.payload_base64 as string, 'base64');
          contentType = b.content_type ?? 'application/octet-stream';
        }
        if (body.length > MAX_PAYLOAD_BYTES)
          throw errors.tooLarge(`payload is ${body.length} bytes: the limit is 5 MB (${MAX_PAYLOAD_BYTES} bytes)`);
        for (const id of b.destination_ids ?? []) {
          const d = catalog.view.destinations.get(id);
          if (!d || d.account_id !== request.accountId)
            throw errors.badRequest(`destination_ids: no destination ${id} in this account`);
          if (b.customer_id !== undefined && d.customer_id !== b.customer_id) {
            throw errors.badRequest(
              `destination_ids: destination ${id} is not a destination of customer '${b.customer_id}'`,
            );
          }
        }
        // With an event_id the call is idempotent: same id, same Nats-Msg-Id, queued once.
        const id = b.event_id ? stableUuid('outbound-event', [request.accountId, b.event_id]) : timeOrderedId();
        const meta: EventMeta = {
          v: 1,
          event_id: id,
          account_id: request.accountId,
          direction: 'outbound',
          source_id: null,
          event_type: b.event_type,
          received_at: new Date(nowMs()).toISOString(),
          content_type: contentType,
          headers: {},
          labels: b.labels ?? null,
          idempotency_key: b.event_id ?? null,
          ...(b.destination_ids ? { destination_ids: b.destination_ids } : {}),
          ...(b.customer_id !== undefined ? { customer_id: b.customer_id } : {}),
        };
        const msgId = b.event_id ? `out:${request.accountId}:${hash('sha256', b.event_id, 'base64url')}` : null;
        let stored;
        try {
          stored = await publisher.publishEvent(meta, body, msgId);
        } catch (err) {
          throw errors.unavailable('the event store did not confirm the write; retry', err);
        }
        if (stored.duplicate)
          return ok(reply, { id, event_id: b.event_id ?? null, status: 'accepted', note: 'duplicate' }, 202);
        return ok(reply, { id, event_id: b.event_id ?? null, status: 'queued' }, 202);
      },
    );
  };
}
