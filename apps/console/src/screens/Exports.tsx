// Exports of events or attempts with the event-log filter: create, watch progress, download.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateExportParams } from '@hookstream/sdk';
import { client, compact } from '../api.ts';
import { Empty, ErrorNote, Loading, Status, Table, Time, num } from '../ui.tsx';
import { FilterBar, useFilter } from './filters.tsx';
import { Can } from '../permissions.tsx';

export function Exports() {
  const qc = useQueryClient();
  const [filter, setFilter] = useFilter();
  const [kind, setKind] = useState<'events' | 'attempts'>('events');
  const [format, setFormat] = useState<'ndjson' | 'csv'>('ndjson');
  const list = useQuery({
    queryKey: ['exports'],
    queryFn: () => client.exports.list({ limit: 50 }),
    refetchInterval: (q) =>
      q.state.data?.data.some((x) => x.status === 'queued' || x.status === 'running') ? 1000 : false,
  });
  const create = useMutation({
    mutationFn: (p: CreateExportParams) => client.exports.create(p),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['exports'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { idempotency_key: _k, ...f } = filter;
    const fl = compact(f);
    create.mutate({ kind, format, ...(Object.keys(fl).length ? { filter: fl as CreateExportParams['filter'] } : {}) });
  };
  const rows = list.data?.data ?? [];
  return (
    <>
      <h1>Exports</h1>
      <p className="muted">
        An export writes the events (or every attempt) that match the filter to a file, kept 24 hours.
      </p>
      <FilterBar
        value={filter}
        onChange={setFilter}
        fields={['event_type', 'status', 'direction', 'source_id', 'destination_id', 'since', 'until']}
      />
      <Can action="exports.create">
        <form className="row" onSubmit={submit} aria-label="New export">
          <label className="inline">
            What
            <select value={kind} onChange={(e) => setKind(e.target.value as 'events' | 'attempts')}>
              <option value="events">events</option>
              <option value="attempts">attempts</option>
            </select>
          </label>
          <label className="inline">
            Format
            <select value={format} onChange={(e) => setFormat(e.target.value as 'ndjson' | 'csv')}>
              <option value="ndjson">NDJSON</option>
              <option value="csv">CSV</option>
            </select>
          </label>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create export
          </button>
        </form>
      </Can>
      <ErrorNote error={create.error ?? list.error} />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No exports yet.">
          <p>
            Set a filter above and create one; its progress shows here and a download link appears when it completes.
          </p>
        </Empty>
      ) : (
        <Table
          label="Exports"
          head={
            <tr>
              <th>Created</th>
              <th>What</th>
              <th>Status</th>
              <th className="num">Rows</th>
              <th className="num">Size</th>
              <th>Filter</th>
              <th>File</th>
            </tr>
          }
        >
          {rows.map((x) => (
            <tr key={x.id}>
              <td>
                <Time iso={x.created_at} />
              </td>
              <td>
                {x.kind} · {x.format}
              </td>
              <td>
                <Status value={x.status} />
                {x.error && <div className="field-error">{x.error}</div>}
              </td>
              <td className="num">{num(x.rows)}</td>
              <td className="num">{num(Math.round(x.bytes / 1024))} KB</td>
              <td>
                <code>{Object.keys(x.filter).length ? JSON.stringify(x.filter) : 'all'}</code>
              </td>
              <td>
                {x.download_url ? (
                  <a href={x.download_url} download>
                    Download
                  </a>
                ) : x.status === 'running' || x.status === 'queued' ? (
                  <progress aria-label="Export progress" />
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
