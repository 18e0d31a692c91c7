// Settings → Audit log: who changed what, when and from where; filters kept in the address, cursor
// pages, and a download of every matching entry (CSV or NDJSON) through the SDK.
import { type FormEvent, useEffect, useState } from 'react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import type { AuditLogEntry, AuditLogParams } from '@hookstream/sdk';
import { client, compact } from '../api.ts';
import { Link, useLocation, useNavigate } from '../router.tsx';
import { Empty, ErrorNote, Id, Loading, Table, Time, formText } from '../ui.tsx';
import { fromLocalInput, toLocalInput } from './filters.tsx';

const LIMIT = 50;
const KEYS = ['actor', 'action', 'resource_id', 'since', 'until'] as const;
type Filter = Partial<Record<(typeof KEYS)[number], string>>;

/** Actions a filter can name, by resource (the server takes any, and `<resource>.*`). */
const ACTIONS = [
  'destination.*',
  'source.*',
  'route.*',
  'event_type.*',
  'event.replay',
  'replay.*',
  'export.*',
  'api_key.*',
  'destination.rotate_secret',
  'brand.update',
  'custom_domain.*',
  'account.update',
  'member.*',
  'invite.*',
];

const ACTOR_TYPE: Record<string, string> = {
  member: 'member',
  api_key: 'API key',
  portal: 'portal',
  operator: 'operator',
  signup: 'sign-up',
};

function useAuditFilter(): [Filter, (f: Filter) => void] {
  const { path, search } = useLocation();
  const navigate = useNavigate();
  const f: Filter = {};
  for (const k of KEYS) {
    const v = search.get(k);
    if (v) f[k] = v;
  }
  const set = (next: Filter) => {
    const q = new URLSearchParams();
    for (const k of KEYS) if (next[k]) q.set(k, next[k]);
    const qs = q.toString();
    navigate(`${path}${qs ? `?${qs}` : ''}`, true);
  };
  return [f, set];
}

/** The other ids of an entry (its resource's id is shown on its own). */
function otherIds(e: AuditLogEntry): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [role, v] of Object.entries(e.ids)) {
    for (const id of Array.isArray(v) ? v : [v]) if (id !== e.resource_id) out.push([role.replace(/_ids?$/, ''), id]);
  }
  return out;
}

function Who({ actor }: { actor: AuditLogEntry['actor'] }) {
  const kind = ACTOR_TYPE[actor.type] ?? actor.type;
  // Sign-up and the operator have no name of their own: the word is the actor.
  if (actor.type === 'signup' || actor.type === 'operator') return <span>{kind}</span>;
  return (
    <span title={`${kind} ${actor.id}`}>
      {actor.name ?? <code>{actor.id.slice(0, 8)}</code>}
      <div className="muted small nowrap">{kind}</div>
    </span>
  );
}

function FilterForm({ value, onChange }: { value: Filter; onChange: (f: Filter) => void }) {
  const keys = useQuery({
    queryKey: ['api-keys', 'all'],
    queryFn: () => client.apiKeys.list({ limit: 500 }),
    staleTime: 30_000,
  });
  // On a phone the filters fold away behind one line unless some are set.
  const [open] = useState(() => Object.keys(value).length > 0 || !window.matchMedia('(max-width: 760px)').matches);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => formText(f, k).trim() || undefined;
    onChange(
      compact({
        actor: text('actor'),
        action: text('action'),
        resource_id: text('resource_id'),
        since: fromLocalInput(text('since') ?? ''),
        until: fromLocalInput(text('until') ?? ''),
      }),
    );
  };
  return (
    <details className="filter-box" open={open}>
      <summary>Filters{Object.keys(value).length ? ` (${Object.keys(value).length})` : ''}</summary>
      <form
        className="filters"
        role="search"
        aria-label="Audit log filters"
        onSubmit={submit}
        key={JSON.stringify(value)}
      >
        <label>
          Who
          <input name="actor" list="audit-actors" defaultValue={value.actor ?? ''} placeholder="member or key id" />
          <datalist id="audit-actors">
            {(keys.data?.data ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name}
              </option>
            ))}
          </datalist>
        </label>
        <label>
          Action
          <input
            name="action"
            list="audit-actions"
            data-search
            defaultValue={value.action ?? ''}
            placeholder="destination.* ( / )"
          />
          <datalist id="audit-actions">
            {ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          Resource id
          <input name="resource_id" defaultValue={value.resource_id ?? ''} placeholder="any id involved" />
        </label>
        <label>
          From
          <input name="since" type="datetime-local" defaultValue={toLocalInput(value.since)} />
        </label>
        <label>
          To
          <input name="until" type="datetime-local" defaultValue={toLocalInput(value.until)} />
        </label>
        <button type="submit">Apply filters</button>
        {Object.keys(value).length > 0 && (
          <button type="button" onClick={() => onChange({})}>
            Clear filters
          </button>
        )}
      </form>
    </details>
  );
}

/** Fetches the download through the SDK (the session's cookie and header) and hands it to the browser. */
async function saveDownload(format: 'csv' | 'ndjson', filter: Omit<AuditLogParams, 'limit' | 'cursor'>): Promise<void> {
  const d = await client.auditLog.download(format, filter);
  const blob = await new Response(d.body).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = d.filename ?? `audit-log.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function AuditLog() {
  const [filter, setFilter] = useAuditFilter();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const q = compact(filter) as Omit<AuditLogParams, 'limit' | 'cursor'>;
  const filterKey = JSON.stringify(q);
  useEffect(() => setCursors([]), [filterKey]);
  const list = useQuery({
    queryKey: ['audit-log', q, cursor ?? null],
    queryFn: () => client.auditLog.list({ ...q, limit: LIMIT, ...(cursor ? { cursor } : {}) }),
    placeholderData: keepPreviousData,
    // The newest page follows changes as they are projected (a second or so after they are made).
    refetchInterval: cursor ? false : 5_000,
  });
  const download = useMutation({ mutationFn: (format: 'csv' | 'ndjson') => saveDownload(format, q) });
  const rows = list.data?.data ?? [];
  return (
    <>
      <div className="topline">
        <h1>Audit log</h1>
        <div className="row">
          <Link to="/settings">Settings</Link>
          <button type="button" onClick={() => download.mutate('csv')} disabled={download.isPending}>
            Export CSV
          </button>
          <button type="button" onClick={() => download.mutate('ndjson')} disabled={download.isPending}>
            Export NDJSON
          </button>
        </div>
      </div>
      <p className="muted">
        Every change made through the API or this console: who made it, from which address, and the ids it touched.
        Values are never recorded, only the names of the fields changed.
      </p>
      <FilterForm value={filter} onChange={setFilter} />
      <ErrorNote error={list.error ?? download.error} />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty title={Object.keys(filter).length > 0 ? 'No entries match these filters.' : 'No changes recorded yet.'}>
          <p>Create a source or a destination, or rotate a secret: each change appears here within a second.</p>
        </Empty>
      ) : (
        <Table
          label="Audit log"
          head={
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th className="hide-narrow">Ids</th>
              <th className="hide-narrow">Fields</th>
              <th className="hide-narrow">Address</th>
              <th>Outcome</th>
            </tr>
          }
        >
          {rows.map((e) => (
            <tr key={e.id}>
              <td className="nowrap">
                <Time iso={e.at} />
              </td>
              <td>
                <Who actor={e.actor} />
              </td>
              <td>
                <code>{e.action}</code>
              </td>
              <td className="hide-narrow">
                <Id value={e.resource_id} short />
                {otherIds(e).map(([role, id]) => (
                  <div key={`${role}:${id}`} className="small nowrap">
                    <span className="muted">{role}</span> <Id value={id} short />
                  </div>
                ))}
              </td>
              <td className="hide-narrow small">
                {e.fields.length > 0 ? e.fields.join(', ') : <span className="muted">—</span>}
              </td>
              <td className="hide-narrow">
                <code>{e.ip ?? '—'}</code>
              </td>
              <td>
                <span className={`status tone-${e.outcome === 'denied' ? 'bad' : 'ok'}`}>{e.outcome}</span>
              </td>
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
