// The messages sent to the customer's endpoints, filtered by type, status, endpoint and time; and
// "Recover failed since", a bulk replay of the failed ones.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { EventListParams } from '@hookstream/sdk';
import { compact } from '../api.ts';
import { Empty, ErrorNote, Id, Loading, Status, Table, Time } from '../ui.tsx';
import { client } from './client.ts';
import { Link, useLocation } from './router.tsx';
import { useCanManage } from './App.tsx';
import { Recovery } from './Recovery.tsx';

const STATUSES: Array<[string, string]> = [
  ['', 'Any status'],
  ['delivered', 'Delivered'],
  ['retry_scheduled', 'Retrying'],
  ['dead_letter', 'Failed'],
  ['delivering', 'Delivering'],
  ['queued', 'Queued'],
];

/** A datetime-local value (the browser's zone) as an ISO instant, or undefined. */
const isoOf = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

export function Messages() {
  const canManage = useCanManage();
  const { search } = useLocation();
  const [form, setForm] = useState({
    event_type: '',
    status: search.get('status') ?? '',
    destination_id: search.get('endpoint') ?? '',
    since: '',
    until: '',
  });
  const [filter, setFilter] = useState(form);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  // On a phone the filters fold away behind one line unless the link set one.
  const [filtersOpen] = useState(
    () => !!(form.status || form.destination_id) || !window.matchMedia('(max-width: 760px)').matches,
  );
  const endpoints = useQuery({ queryKey: ['endpoints'], queryFn: () => client.destinations.list({ limit: 200 }) });
  const params = compact({
    event_type: filter.event_type.trim(),
    status: filter.status,
    destination_id: filter.destination_id,
    since: isoOf(filter.since),
    until: isoOf(filter.until),
    cursor,
    limit: 50,
  }) as EventListParams;
  const list = useQuery({
    queryKey: ['messages', params],
    queryFn: () => client.outboundEvents.list(params),
    refetchInterval: 5_000,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCursor(undefined);
    setFilter(form);
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <>
      <div className="topline">
        <h1>Messages</h1>
      </div>
      {canManage && <Recovery />}
      <details className="filter-box" open={filtersOpen}>
        <summary>Filters</summary>
        <form className="filters" onSubmit={submit} aria-label="Filter messages">
          <label>
            Event type
            <input
              data-search
              value={form.event_type}
              onChange={set('event_type')}
              placeholder="order.created or order.*"
            />
          </label>
          <label>
            Status
            <select value={form.status} onChange={set('status')}>
              {STATUSES.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label>
            Endpoint
            <select value={form.destination_id} onChange={set('destination_id')}>
              <option value="">Every endpoint</option>
              {endpoints.data?.data.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Since
            <input type="datetime-local" value={form.since} onChange={set('since')} />
          </label>
          <label>
            Until
            <input type="datetime-local" value={form.until} onChange={set('until')} />
          </label>
          <button type="submit">Apply</button>
        </form>
      </details>
      <ErrorNote error={list.error} />
      {list.isPending ? (
        <Loading />
      ) : list.data && list.data.data.length === 0 ? (
        <Empty title="No messages match">Messages appear here as they are sent to your endpoints.</Empty>
      ) : (
        <Table
          label="Messages"
          head={
            <tr>
              <th>Event type</th>
              <th>Status</th>
              <th>Sent</th>
              <th className="hide-narrow">Message id</th>
            </tr>
          }
        >
          {list.data?.data.map((m) => (
            <tr key={m.id}>
              <td>
                <Link to={`/messages/${encodeURIComponent(m.id)}`}>{m.event_type ?? '(no type)'}</Link>
              </td>
              <td>
                <Status value={m.status} />
              </td>
              <td>
                <Time iso={m.received_at} />
              </td>
              <td className="hide-narrow">
                <Id value={m.id} short />
              </td>
            </tr>
          ))}
        </Table>
      )}
      {list.data?.next_cursor && (
        <button type="button" onClick={() => setCursor(list.data.next_cursor ?? undefined)}>
          Older messages
        </button>
      )}
    </>
  );
}

export function useReplayOne(id: string) {
  return useMutation({
    mutationFn: (destinationId: string) => client.outboundEvents.replay(id, { destination_id: destinationId }),
  });
}
