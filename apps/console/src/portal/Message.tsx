// One message: its payload and, per endpoint of the customer's, every attempt; "Replay" sends it again.
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorNote, Id, Loading, Status, Table, Time, ms } from '../ui.tsx';
import { client } from './client.ts';
import { Link } from './router.tsx';
import { useCanManage } from './App.tsx';
import { useReplayOne } from './Messages.tsx';

function prettyBody(body: string | undefined): string {
  if (body === undefined) return '(binary payload)';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function Message({ id }: { id: string }) {
  const canManage = useCanManage();
  const qc = useQueryClient();
  // After a replay its new delivery takes a moment to be recorded: watch for it a while.
  const [watchUntil, setWatchUntil] = useState(0);
  const m = useQuery({
    queryKey: ['message', id],
    queryFn: () => client.outboundEvents.get(id),
    refetchInterval: (q) =>
      Date.now() < watchUntil ||
      q.state.data?.deliveries.some((d) => ['queued', 'delivering', 'retry_scheduled'].includes(d.status))
        ? 1_000
        : false,
  });
  const replay = useReplayOne(id);
  const endpoints = useQuery({ queryKey: ['endpoints'], queryFn: () => client.destinations.list({ limit: 200 }) });
  const nameOf = (destId: string) => endpoints.data?.data.find((d) => d.id === destId)?.name ?? destId;
  if (m.isPending) return <Loading />;
  if (m.error || !m.data) {
    return (
      <>
        <h1>Message</h1>
        <ErrorNote error={m.error} />
        <Link to="/messages">Back to messages</Link>
      </>
    );
  }
  const e = m.data;
  return (
    <>
      <div className="topline">
        <h1>{e.event_type ?? 'Message'}</h1>
        <Status value={e.status} />
      </div>
      <dl className="meta">
        <dt>Message id</dt>
        <dd>
          <Id value={e.id} />
        </dd>
        <dt>Sent</dt>
        <dd>
          <Time iso={e.received_at} />
        </dd>
      </dl>
      <h2>Payload</h2>
      <pre aria-label="Payload" tabIndex={0}>
        {prettyBody(e.body)}
      </pre>
      <ErrorNote error={replay.error} />
      {replay.isSuccess && <p className="notice">Sent again: a new delivery follows.</p>}
      {e.deliveries.map((d) => (
        <section key={d.id} aria-label={`Delivery to ${nameOf(d.destination_id)}`}>
          <div className="topline">
            <h2>
              To <Link to={`/endpoints/${encodeURIComponent(d.destination_id)}`}>{nameOf(d.destination_id)}</Link>{' '}
              <Status value={d.status} />
            </h2>
            {canManage && (
              <button
                type="button"
                onClick={() =>
                  replay.mutate(d.destination_id, {
                    onSuccess: () => {
                      setWatchUntil(Date.now() + 30_000);
                      void qc.invalidateQueries({ queryKey: ['message', id] });
                    },
                  })
                }
                disabled={replay.isPending}
              >
                Replay
              </button>
            )}
          </div>
          {d.attempts.length === 0 ? (
            <p className="muted">No attempt yet.</p>
          ) : (
            <Table
              label="Attempts"
              head={
                <tr>
                  <th>#</th>
                  <th>When</th>
                  <th>Result</th>
                  <th className="num">Took</th>
                  <th>Response</th>
                </tr>
              }
            >
              {d.attempts.map((a) => (
                <tr key={a.n}>
                  <td className="num">{a.n}</td>
                  <td>
                    <Time iso={a.started_at} />
                  </td>
                  <td>
                    {a.status_code !== null ? `HTTP ${a.status_code}` : (a.error_class ?? '—')}
                    {a.error && <div className="muted">{a.error}</div>}
                  </td>
                  <td className="num">{ms(a.duration_ms)}</td>
                  <td>
                    <code className="muted">{a.response_excerpt.slice(0, 200)}</code>
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </section>
      ))}
      {e.deliveries.length === 0 && <p className="muted">This message went to none of your endpoints.</p>}
    </>
  );
}
