// One event: metadata, stored headers, the raw body, and per delivery its attempts; replay from here.
import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Delivery, EventDetail as Detail } from '@hookstream/sdk';
import { client } from '../api.ts';
import { Link } from '../router.tsx';
import { ErrorNote, Id, Loading, Status, Table, Time, ms } from '../ui.tsx';
import { useNames } from './filters.tsx';
import { useCan } from '../permissions.tsx';

const SETTLED = new Set(['delivered', 'dead_letter', 'unrouted', 'failed']);

function bodyBytes(e: Detail): Uint8Array {
  if (e.body_base64) return Uint8Array.from(atob(e.body_base64), (c) => c.charCodeAt(0));
  return new TextEncoder().encode(e.body ?? '');
}

function hexDump(bytes: Uint8Array, max = 4096): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i += 16) {
    const row = Array.from(bytes.subarray(i, i + 16));
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > max) lines.push(`… ${bytes.length - max} more bytes (download to see them all)`);
  return lines.join('\n');
}

function Body({ event }: { event: Detail }) {
  const bytes = useMemo(() => bodyBytes(event), [event]);
  const { text, kind } = useMemo(() => {
    if (event.body !== undefined && event.body !== null) {
      try {
        return { text: JSON.stringify(JSON.parse(event.body), null, 2), kind: 'JSON' };
      } catch {
        return { text: event.body, kind: 'text' };
      }
    }
    return { text: hexDump(bytes), kind: 'hex' };
  }, [event, bytes]);
  const url = useMemo(
    () =>
      URL.createObjectURL(new Blob([bytes as BlobPart], { type: event.content_type ?? 'application/octet-stream' })),
    [bytes, event.content_type],
  );
  const ext = kind === 'JSON' ? 'json' : kind === 'text' ? 'txt' : 'bin';
  return (
    <section aria-labelledby="body-title">
      <div className="row">
        <h2 id="body-title">
          Body{' '}
          <span className="muted">
            ({kind}, {bytes.length.toLocaleString('en')} bytes)
          </span>
        </h2>
        <a className="button small" href={url} download={`${event.id}.${ext}`}>
          Download body
        </a>
      </div>
      <pre tabIndex={0} aria-label="Event body">
        {text || '(empty)'}
      </pre>
    </section>
  );
}

/** Inbound and outbound events replay through their own log. */
function logOf(direction: string) {
  return direction === 'outbound' ? client.outboundEvents : client.events;
}

function DeliveryBlock({
  eventId,
  direction,
  d,
  onReplayed,
}: {
  eventId: string;
  direction: string;
  d: Delivery;
  onReplayed: () => void;
}) {
  const names = useNames();
  const routes = useQuery({
    queryKey: ['routes'],
    queryFn: () => client.routes.list({ limit: 500 }),
    staleTime: 30_000,
  });
  const route = d.route_id ? routes.data?.data.find((r) => r.id === d.route_id) : undefined;
  const dest = names.destination.get(d.destination_id);
  const replay = useMutation({
    mutationFn: () => logOf(direction).replay(eventId, { destination_id: d.destination_id }),
    onSuccess: onReplayed,
  });
  const can = useCan();
  return (
    <section className="panel" aria-label={`Delivery to ${dest?.name ?? d.destination_id}`}>
      <div className="topline">
        <div className="row">
          <strong>
            <Link to={`/destinations/${d.destination_id}`}>{dest?.name ?? d.destination_id}</Link>
          </strong>
          <Status value={d.status} />
          {d.replay_id && <span className="muted">replay</span>}
        </div>
        {can('events.replay') && (
          <button type="button" onClick={() => replay.mutate()} disabled={replay.isPending}>
            Replay to this destination
          </button>
        )}
      </div>
      <ErrorNote error={replay.error} />
      <dl className="meta">
        <dt>Delivery</dt>
        <dd>
          <Id value={d.id} />
        </dd>
        <dt>Routed by</dt>
        <dd>
          {route ? (
            <>
              <Link to="/routes">
                <code>{route.event_type_pattern ?? '*'}</code>
              </Link>{' '}
              {route.source_id
                ? `from ${names.source.get(route.source_id)?.name ?? route.source_id}`
                : 'from any source'}
              {route.payload_filter ? ' with a payload filter' : ''}
            </>
          ) : d.route_id ? (
            <span className="muted">a route since removed</span>
          ) : (
            <span className="muted">
              {d.replay_id ? 'a replay to this destination' : 'sent to this destination directly'}
            </span>
          )}
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={d.created_at} />
        </dd>
        {d.next_attempt_at && (
          <>
            <dt>Next attempt</dt>
            <dd>
              <Time iso={d.next_attempt_at} />
            </dd>
          </>
        )}
        {d.last_error && (
          <>
            <dt>Last error</dt>
            <dd>{d.last_error}</dd>
          </>
        )}
      </dl>
      {d.attempts.length === 0 ? (
        <p className="muted">No attempt yet.</p>
      ) : (
        <Table
          label={`Attempts to ${dest?.name ?? d.destination_id}`}
          head={
            <tr>
              <th className="num">#</th>
              <th>Time</th>
              <th>Status</th>
              <th className="num">Duration</th>
              <th>Error</th>
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
                <span
                  className={`status tone-${a.outcome === 'delivered' ? 'ok' : a.outcome === 'retry_scheduled' ? 'warn' : 'bad'}`}
                >
                  {a.status_code ?? 'no answer'} ·{' '}
                  {a.outcome === 'delivered'
                    ? 'delivered'
                    : a.outcome === 'retry_scheduled'
                      ? 'will retry'
                      : 'dead-lettered'}
                </span>
              </td>
              <td className="num">{ms(a.duration_ms)}</td>
              <td>
                {a.error_class ? <code>{a.error_class}</code> : <span className="muted">—</span>}
                {a.error ? <div className="muted">{a.error}</div> : null}
              </td>
              <td>
                <details>
                  <summary>{a.response_excerpt ? a.response_excerpt.slice(0, 60) : 'headers'}</summary>
                  <pre>
                    {Object.entries(a.response_headers)
                      .map(([k, v]) => `${k}: ${v}`)
                      .join('\n')}
                    {a.response_excerpt ? `\n\n${a.response_excerpt}` : ''}
                  </pre>
                </details>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

export function EventDetail({ id }: { id: string }) {
  const qc = useQueryClient();
  const names = useNames();
  const ev = useQuery({
    queryKey: ['event', id],
    queryFn: () => client.events.get(id),
    // While a delivery is still moving (or a replay was just asked for), keep the page current.
    refetchInterval: (q) => {
      const d = q.state.data;
      if (!d) return false;
      return d.deliveries.some((x) => !SETTLED.has(x.status)) || d.status === 'received' || d.status === 'queued'
        ? 1500
        : 5000;
    },
  });
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['event', id] });
  const can = useCan();
  const replay = useMutation({
    mutationFn: () => logOf(ev.data?.direction ?? 'inbound').replay(id),
    onSuccess: (r) => {
      setNotice(`Replay queued: ${r.deliveries.length} new ${r.deliveries.length === 1 ? 'delivery' : 'deliveries'}.`);
      refresh();
    },
  });
  if (ev.isPending) return <Loading />;
  if (ev.error)
    return (
      <>
        <h1>Event</h1>
        <ErrorNote error={ev.error} />
        <Link to="/events">Back to events</Link>
      </>
    );
  const e = ev.data;
  return (
    <>
      <p>
        <Link to="/events">← Events</Link>
      </p>
      <div className="topline">
        <div className="row">
          <h1>{e.event_type ?? 'Event'}</h1>
          <Status value={e.status} />
        </div>
        {can('events.replay') && (
          <button type="button" className="primary" onClick={() => replay.mutate()} disabled={replay.isPending}>
            Replay
          </button>
        )}
      </div>
      <ErrorNote error={replay.error} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <dl className="meta">
        <dt>Id</dt>
        <dd>
          <Id value={e.id} />
        </dd>
        <dt>Direction</dt>
        <dd>{e.direction}</dd>
        <dt>Received</dt>
        <dd>
          <Time iso={e.received_at} />
        </dd>
        <dt>Source</dt>
        <dd>
          {e.source_id && names.source.get(e.source_id) ? <span>{names.source.get(e.source_id)!.name} </span> : null}
          <Id value={e.source_id} short />
        </dd>
        <dt>Content type</dt>
        <dd>{e.content_type ?? '—'}</dd>
        <dt>Idempotency key</dt>
        <dd>{e.idempotency_key ? <code>{e.idempotency_key}</code> : '—'}</dd>
        {e.labels && Object.keys(e.labels).length > 0 && (
          <>
            <dt>Labels</dt>
            <dd>
              {Object.entries(e.labels).map(([k, v]) => (
                <code key={k}>
                  {k}={v}{' '}
                </code>
              ))}
            </dd>
          </>
        )}
      </dl>
      <h2>Deliveries ({e.deliveries.length})</h2>
      {e.deliveries.length === 0 ? (
        <p className="muted">
          No delivery: no route matched this event. <Link to="/routes">Add a route</Link> and replay it.
        </p>
      ) : (
        e.deliveries.map((d) => (
          <DeliveryBlock key={d.id} eventId={e.id} direction={e.direction} d={d} onReplayed={refresh} />
        ))
      )}
      <h2>Headers</h2>
      <Table
        label="Stored headers"
        head={
          <tr>
            <th>Name</th>
            <th>Value</th>
          </tr>
        }
      >
        {Object.entries(e.headers).map(([k, v]) => (
          <tr key={k}>
            <td>
              <code>{k}</code>
            </td>
            <td className="mono">{v}</td>
          </tr>
        ))}
      </Table>
      <Body event={e} />
    </>
  );
}
