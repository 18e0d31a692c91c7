// Send an example event of a type to this endpoint and show what the endpoint answered.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { Destination } from '@hookstream/sdk';
import { ErrorNote, Id, Status, ms } from '../ui.tsx';
import { client } from './client.ts';
import { examplePayload } from './example.ts';

export function TestSend({ endpoint }: { endpoint: Destination }) {
  const types = useQuery({ queryKey: ['event-types'], queryFn: () => client.eventTypes.list({ limit: 500 }) });
  const [type, setType] = useState('');
  const [payload, setPayload] = useState('');
  const chosen = types.data?.data.find((t) => t.name === type) ?? types.data?.data[0];
  useEffect(() => {
    if (chosen) setPayload(JSON.stringify(examplePayload(chosen.schema, chosen.name), null, 2));
  }, [chosen]);
  const send = useMutation({
    mutationFn: async () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(payload) as Record<string, unknown>;
      } catch {
        throw new Error('The payload is not valid JSON.');
      }
      return client.destinations.sendTestEvent(endpoint.id, {
        ...(chosen ? { event_type: chosen.name } : {}),
        payload: body,
      });
    },
  });
  const sent = send.data;
  // The event's delivery, polled until the endpoint has answered (or the attempt failed).
  const result = useQuery({
    queryKey: ['test-result', sent?.event_id],
    enabled: !!sent,
    queryFn: () => client.outboundEvents.get(sent!.event_id),
    refetchInterval: (q) => (q.state.data?.deliveries.some((d) => d.attempts.length > 0) ? false : 500),
    retry: 10,
  });
  const delivery = result.data?.deliveries.find((d) => d.id === sent?.delivery_id) ?? result.data?.deliveries[0];
  const attempt = delivery?.attempts[delivery.attempts.length - 1];
  return (
    <section aria-label="Test">
      <h2>Test</h2>
      <div className="form">
        <label>
          Event type
          <select value={chosen?.name ?? ''} onChange={(e) => setType(e.target.value)}>
            {types.data?.data.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label className="wide">
          Payload
          <textarea value={payload} onChange={(e) => setPayload(e.target.value)} />
        </label>
        <div>
          <button type="button" className="primary" onClick={() => send.mutate()} disabled={send.isPending}>
            Send test event
          </button>
        </div>
      </div>
      <ErrorNote error={send.error} />
      {sent && (
        <div className="panel" role="status" aria-label="Test result">
          <p>
            Sent <Id value={sent.event_id} short />
            {!attempt && <span className="muted"> — waiting for the endpoint…</span>}
          </p>
          {attempt && (
            <>
              <p className="row">
                <Status value={attempt.outcome} />
                <span>
                  {attempt.status_code !== null
                    ? `HTTP ${attempt.status_code}`
                    : (attempt.error_class ?? 'no response')}{' '}
                  in {ms(attempt.duration_ms)}
                </span>
              </p>
              {attempt.error && <p className="muted">{attempt.error}</p>}
              {attempt.response_excerpt && (
                <pre aria-label="Response body" tabIndex={0}>
                  {attempt.response_excerpt}
                </pre>
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
