// The event log: filters, cursor pages, and a live mode fed by Server-Sent Events with the same filters.
import { type FormEvent, useEffect, useState } from 'react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import type { EventListParams, EventSummary, Page } from '@hookstream/sdk';
import { SESSION_KEY, client, compact, statusOf } from '../api.ts';
import { Link, useNavigate } from '../router.tsx';
import { Empty, ErrorNote, Id, Loading, Status, Table, Time, formText } from '../ui.tsx';
import { type EventFilter, FilterBar, useFilter, useNames } from './filters.tsx';
import { FirstWebhook } from './FirstWebhook.tsx';

const LIMIT = 50;

/** The filters as the API takes them (every one applied by the server, to every page and the live stream). */
function apiFilter(f: EventFilter): Omit<EventListParams, 'limit' | 'cursor'> {
  return compact(f) as Omit<EventListParams, 'limit' | 'cursor'>;
}

export function Events() {
  const [filter, setFilter] = useFilter();
  const [cursors, setCursors] = useState<string[]>([]);
  const [live, setLive] = useState(true);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const navigate = useNavigate();
  const names = useNames();
  const qc = useQueryClient();
  const cursor = cursors[cursors.length - 1];
  const q = apiFilter(filter);
  const key = ['events', q, cursor ?? null];
  const list = useQuery({
    queryKey: key,
    queryFn: () => client.events.list({ ...q, limit: LIMIT, ...(cursor ? { cursor } : {}) }),
    placeholderData: keepPreviousData,
  });
  const filterKey = JSON.stringify(q);
  useEffect(() => setCursors([]), [filterKey]);

  // Live: only the first page changes as events arrive; a later page stays as it was read.
  const liveOn = live && !cursor;
  useEffect(() => {
    if (!liveOn) return;
    const ctl = new AbortController();
    const upsert = (item: EventSummary) => {
      qc.setQueryData<Page<EventSummary>>(['events', q, null], (old) => {
        if (!old) return old;
        const known = old.data.some((e) => e.id === item.id);
        const data = known ? old.data.map((e) => (e.id === item.id ? item : e)) : [item, ...old.data].slice(0, LIMIT);
        return { ...old, data };
      });
      setFresh((s) => new Set(s).add(item.id));
    };
    void (async () => {
      // The stream ends when a server restarts or a proxy cuts it: reconnect, and reread the page
      // so nothing that passed meanwhile is missed.
      for (let attempt = 0; !ctl.signal.aborted; attempt++) {
        if (attempt > 0) void qc.invalidateQueries({ queryKey: ['events', q, null] });
        try {
          for await (const item of client.events.live(q, { signal: ctl.signal })) upsert(item);
        } catch (err) {
          // The session ended: asking for it again shows the sign-in form. Anything else is retried.
          if (statusOf(err) === 401) {
            void qc.invalidateQueries({ queryKey: SESSION_KEY });
            return;
          }
        }
        if (!ctl.signal.aborted)
          await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4))));
      }
    })();
    return () => ctl.abort();
  }, [liveOn, filterKey, qc]);

  const goTo = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const id = formText(new FormData(e.currentTarget), 'id').trim();
    if (id) navigate(`/events/${encodeURIComponent(id)}`);
  };

  const rows = list.data?.data ?? [];
  return (
    <>
      <div className="topline">
        <h1>Events</h1>
        <div className="row">
          <label className="inline">
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} disabled={!!cursor} />
            Live
          </label>
          <span className="muted" role="status" aria-live="polite">
            {liveOn ? 'Live: new events appear as they arrive' : cursor ? 'Live is off on older pages' : 'Paused'}
          </span>
          <Link className="button" to={`/exports${window.location.search}`}>
            Export these
          </Link>
          <form className="row" onSubmit={goTo} role="search" aria-label="Open an event by id">
            <label className="inline">
              <span className="hide-narrow">Event id</span>
              <input name="id" type="text" placeholder="evt id" aria-label="Event id" size={14} />
            </label>
            <button type="submit">Open</button>
          </form>
        </div>
      </div>
      <FilterBar
        value={filter}
        onChange={setFilter}
        fields={[
          'event_type',
          'status',
          'direction',
          'source_id',
          'destination_id',
          'since',
          'until',
          'idempotency_key',
        ]}
      />
      <ErrorNote error={list.error} />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        Object.keys(filter).length > 0 ? (
          <Empty title="No events match these filters.">
            <p>Widen the time range or clear the filters; with Live on, matching events appear here as they arrive.</p>
          </Empty>
        ) : (
          <FirstWebhook sources={names.sources} />
        )
      ) : (
        <Table
          label="Events"
          head={
            <tr>
              <th className="hide-narrow">Id</th>
              <th className="hide-narrow">Direction</th>
              <th>Type</th>
              <th className="hide-narrow">Source</th>
              <th>Status</th>
              <th>Received</th>
              <th className="num hide-narrow">Deliveries</th>
            </tr>
          }
        >
          {rows.map((e) => (
            <tr
              key={e.id}
              className={`clickable${fresh.has(e.id) ? ' fresh' : ''}`}
              onClick={(ev) => {
                if ((ev.target as HTMLElement).closest('button, a')) return;
                navigate(`/events/${encodeURIComponent(e.id)}`);
              }}
            >
              <td className="nowrap hide-narrow">
                <Id value={e.id} short />
              </td>
              <td className="hide-narrow">{e.direction}</td>
              <td>
                <Link to={`/events/${encodeURIComponent(e.id)}`}>{e.event_type ?? '(no type)'}</Link>
              </td>
              <td className="hide-narrow">
                {e.source_id ? (
                  (names.source.get(e.source_id)?.name ?? <Id value={e.source_id} short />)
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>
                <Status value={e.status} />
              </td>
              <td>
                <Time iso={e.received_at} />
              </td>
              <td className="num hide-narrow">{e.delivery_count}</td>
            </tr>
          ))}
        </Table>
      )}
      <div className="row">
        <button type="button" onClick={() => setCursors([])} disabled={!cursor}>
          Newest
        </button>
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
