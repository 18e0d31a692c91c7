// The event-log filters, shared by Events, Dead letters and Exports; kept in the address so a filtered
// view can be linked and reloaded.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { client } from '../api.ts';
import { useLocation, useNavigate } from '../router.tsx';

export interface EventFilter {
  status?: string;
  direction?: string;
  source_id?: string;
  destination_id?: string;
  event_type?: string;
  since?: string;
  until?: string;
  idempotency_key?: string;
}

const KEYS: Array<keyof EventFilter> = [
  'status',
  'direction',
  'source_id',
  'destination_id',
  'event_type',
  'since',
  'until',
  'idempotency_key',
];

export function useFilter(): [EventFilter, (f: EventFilter) => void] {
  const { path, search } = useLocation();
  const navigate = useNavigate();
  const f: EventFilter = {};
  for (const k of KEYS) {
    const v = search.get(k);
    if (v) f[k] = v;
  }
  const set = (next: EventFilter) => {
    const q = new URLSearchParams();
    for (const k of KEYS) if (next[k]) q.set(k, next[k]);
    const qs = q.toString();
    navigate(`${path}${qs ? `?${qs}` : ''}`, true);
  };
  return [f, set];
}

/** Sources and destinations by id, for names in tables and options in filters. */
export function useNames() {
  const sources = useQuery({
    queryKey: ['sources', 'all'],
    queryFn: () => client.sources.list({ limit: 500 }),
    staleTime: 30_000,
  });
  const destinations = useQuery({
    queryKey: ['destinations', 'all'],
    queryFn: () => client.destinations.list({ limit: 500 }),
    staleTime: 30_000,
  });
  const source = new Map((sources.data?.data ?? []).map((s) => [s.id, s]));
  const destination = new Map((destinations.data?.data ?? []).map((d) => [d.id, d]));
  return { sources: sources.data?.data ?? [], destinations: destinations.data?.data ?? [], source, destination };
}

/** datetime-local wants local time without zone; the address keeps ISO. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

export function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

const STATUSES: Array<[string, string]> = [
  ['received', 'received'],
  ['queued', 'queued'],
  ['delivering', 'delivering'],
  ['retry_scheduled', 'retrying'],
  ['delivered', 'delivered'],
  ['dead_letter', 'dead-lettered'],
  ['unrouted', 'unrouted'],
];

export function FilterBar({
  value,
  onChange,
  fields,
}: {
  value: EventFilter;
  onChange: (f: EventFilter) => void;
  fields: Array<keyof EventFilter>;
}) {
  const names = useNames();
  const set = (k: keyof EventFilter, v: string | undefined) => onChange({ ...value, [k]: v || undefined });
  const has = (k: keyof EventFilter) => fields.includes(k);
  // On a phone the filters fold away behind one line unless some are set.
  const [open] = useState(() => Object.keys(value).length > 0 || !window.matchMedia('(max-width: 760px)').matches);
  return (
    <details className="filter-box" open={open}>
      <summary>Filters{Object.keys(value).length ? ` (${Object.keys(value).length})` : ''}</summary>
      <div className="filters" role="search" aria-label="Filters">
        {has('event_type') && (
          <label>
            Event type
            <input
              key={value.event_type ?? ''}
              data-search
              type="search"
              placeholder="order.* ( / )"
              defaultValue={value.event_type ?? ''}
              onKeyDown={(e) => {
                if (e.key === 'Enter') set('event_type', e.currentTarget.value.trim());
              }}
              onBlur={(e) => {
                if ((value.event_type ?? '') !== e.currentTarget.value.trim())
                  set('event_type', e.currentTarget.value.trim());
              }}
            />
          </label>
        )}
        {has('status') && (
          <label>
            Status
            <select value={value.status ?? ''} onChange={(e) => set('status', e.target.value)}>
              <option value="">Any</option>
              {STATUSES.map(([v, w]) => (
                <option key={v} value={v}>
                  {w}
                </option>
              ))}
            </select>
          </label>
        )}
        {has('direction') && (
          <label>
            Direction
            <select value={value.direction ?? ''} onChange={(e) => set('direction', e.target.value)}>
              <option value="">Any</option>
              <option value="inbound">inbound</option>
              <option value="outbound">outbound</option>
            </select>
          </label>
        )}
        {has('source_id') && (
          <label>
            Source
            <select value={value.source_id ?? ''} onChange={(e) => set('source_id', e.target.value)}>
              <option value="">Any</option>
              {names.sources.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {has('destination_id') && (
          <label>
            Destination
            <select value={value.destination_id ?? ''} onChange={(e) => set('destination_id', e.target.value)}>
              <option value="">Any</option>
              {names.destinations.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {has('since') && (
          <label>
            From
            <input
              type="datetime-local"
              value={toLocalInput(value.since)}
              onChange={(e) => set('since', fromLocalInput(e.target.value))}
            />
          </label>
        )}
        {has('until') && (
          <label>
            To
            <input
              type="datetime-local"
              value={toLocalInput(value.until)}
              onChange={(e) => set('until', fromLocalInput(e.target.value))}
            />
          </label>
        )}
        {has('idempotency_key') && (
          <label>
            Idempotency key
            <input
              key={value.idempotency_key ?? ''}
              type="text"
              defaultValue={value.idempotency_key ?? ''}
              onKeyDown={(e) => {
                if (e.key === 'Enter') set('idempotency_key', e.currentTarget.value.trim());
              }}
              onBlur={(e) => {
                if ((value.idempotency_key ?? '') !== e.currentTarget.value.trim())
                  set('idempotency_key', e.currentTarget.value.trim());
              }}
            />
          </label>
        )}
        {Object.keys(value).length > 0 && (
          <button type="button" onClick={() => onChange({})}>
            Clear filters
          </button>
        )}
      </div>
    </details>
  );
}
