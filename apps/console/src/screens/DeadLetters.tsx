// Dead-lettered deliveries: why each failed, and replay them, a few chosen or all that match.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, compact } from '../api.ts';
import { Link } from '../router.tsx';
import { Empty, ErrorNote, Loading, Table, Time, shortId } from '../ui.tsx';
import { BulkProgress } from './BulkProgress.tsx';
import { useCan } from '../permissions.tsx';
import { FilterBar, useFilter, useNames } from './filters.tsx';

const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export function DeadLetters() {
  const [filter, setFilter] = useFilter();
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkId, setBulkId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The dead-lettered delivery stays as it was (a replay is a new delivery): mark what was replayed here.
  const [replayed, setReplayed] = useState<Set<string>>(new Set());
  const names = useNames();
  const qc = useQueryClient();
  const cursor = cursors[cursors.length - 1];
  const q = compact({
    destination_id: filter.destination_id,
    event_type: filter.event_type,
    since: filter.since,
    until: filter.until,
  });
  const list = useQuery({
    queryKey: ['dead-letters', q, cursor ?? null],
    queryFn: () => client.deadLetters.list({ ...q, limit: 100, ...(cursor ? { cursor } : {}) }),
  });
  const rows = list.data?.data ?? [];

  const replaySelected = useMutation({
    mutationFn: async () => {
      const chosen = rows.filter((r) => selected.has(r.id));
      for (const r of chosen) {
        const log = r.direction === 'outbound' ? client.outboundEvents : client.events;
        await log.replay(r.event_id, { destination_id: r.destination_id });
      }
      return chosen.map((r) => r.id);
    },
    onSuccess: (ids) => {
      const n = ids.length;
      setReplayed((s) => new Set([...s, ...ids]));
      setNotice(`${n} ${n === 1 ? 'delivery' : 'deliveries'} replayed.`);
      setSelected(new Set());
      void qc.invalidateQueries({ queryKey: ['dead-letters'] });
    },
  });
  const replayAll = useMutation({
    mutationFn: () => {
      const until = filter.until ?? new Date().toISOString();
      const since = filter.since ?? new Date(Date.now() - DEFAULT_WINDOW_MS).toISOString();
      return client.replays.create({
        status: 'dead_letter',
        ...compact({ destination_id: filter.destination_id, event_type: filter.event_type }),
        since,
        until,
      });
    },
    onSuccess: (r) => {
      setNotice(null);
      setBulkId(r.id);
    },
  });

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const can = useCan();
  const allChosen = rows.length > 0 && rows.every((r) => selected.has(r.id));

  return (
    <>
      <div className="topline">
        <h1>Dead letters</h1>
        {can('events.replay') && (
          <div className="row">
            <button
              type="button"
              onClick={() => replaySelected.mutate()}
              disabled={selected.size === 0 || replaySelected.isPending}
            >
              Replay selected{selected.size ? ` (${selected.size})` : ''}
            </button>
            <button
              type="button"
              className="primary"
              onClick={() => replayAll.mutate()}
              disabled={replayAll.isPending || rows.length === 0}
            >
              Replay all matching
            </button>
          </div>
        )}
      </div>
      <p className="muted">
        Deliveries that used every attempt of their retry policy. Replaying creates new deliveries with new ids; “Replay
        all matching” covers the filter below {filter.since ? '' : '(the last 30 days unless “From” is set)'} as one
        bulk replay.
      </p>
      <FilterBar
        value={filter}
        onChange={(f) => {
          setCursors([]);
          setFilter(f);
        }}
        fields={['event_type', 'destination_id', 'since', 'until']}
      />
      <ErrorNote error={list.error ?? replaySelected.error ?? replayAll.error} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {bulkId && <BulkProgress id={bulkId} onDone={() => void qc.invalidateQueries({ queryKey: ['dead-letters'] })} />}
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No dead letters.">
          <p>
            When a destination keeps failing past its retry policy, its deliveries land here with the last response.
            Check <Link to="/destinations">Destinations</Link> for failing endpoints.
          </p>
        </Empty>
      ) : (
        <Table
          label="Dead letters"
          head={
            <tr>
              <th>
                <input
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={allChosen}
                  onChange={() => setSelected(allChosen ? new Set() : new Set(rows.map((r) => r.id)))}
                />
              </th>
              <th>Event</th>
              <th>Type</th>
              <th>Destination</th>
              <th>Reason</th>
              <th>Last response</th>
              <th className="num">Attempts</th>
              <th>Dead-lettered</th>
            </tr>
          }
        >
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${r.event_type ?? r.event_id} to ${names.destination.get(r.destination_id)?.name ?? r.destination_id}`}
                  checked={selected.has(r.id)}
                  onChange={() => toggle(r.id)}
                />
              </td>
              <td>
                <Link to={`/events/${encodeURIComponent(r.event_id)}`}>
                  <code title={r.event_id}>{shortId(r.event_id)}</code>
                </Link>
              </td>
              <td>{r.event_type ?? <span className="muted">—</span>}</td>
              <td className="nowrap">
                <Link to={`/destinations/${r.destination_id}`}>
                  {names.destination.get(r.destination_id)?.name ?? r.destination_id}
                </Link>
              </td>
              <td>
                <span className="status tone-dead">{r.reason}</span>
                {replayed.has(r.id) && <span className="status tone-ok">replayed</span>}
              </td>
              <td>
                {r.last_error ?? (r.last_status_code ? `HTTP ${r.last_status_code}` : '—')}
                {r.last_response_excerpt ? (
                  <div className="muted mono">{r.last_response_excerpt.slice(0, 120)}</div>
                ) : null}
              </td>
              <td className="num">{r.attempts}</td>
              <td>
                <Time iso={r.dead_lettered_at} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      <div className="row">
        <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))} disabled={!cursor}>
          Previous page
        </button>
        <button
          type="button"
          onClick={() => list.data?.next_cursor && setCursors((c) => [...c, list.data.next_cursor!])}
          disabled={!list.data?.next_cursor}
        >
          Next page
        </button>
      </div>
    </>
  );
}
