// Routes from sources to destinations, and a box that tries a payload filter on the server.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateRouteParams } from '@hookstream/sdk';
import { client } from '../api.ts';
import { Link } from '../router.tsx';
import { Empty, ErrorNote, Loading, Status, Table, formText, parseJson } from '../ui.tsx';
import { useNames } from './filters.tsx';
import { Can } from '../permissions.tsx';

export function Routes() {
  const qc = useQueryClient();
  const names = useNames();
  const list = useQuery({ queryKey: ['routes'], queryFn: () => client.routes.list({ limit: 500 }) });
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['routes'] });
  const create = useMutation({ mutationFn: (p: CreateRouteParams) => client.routes.create(p), onSuccess: refresh });
  const toggle = useMutation({
    mutationFn: (r: { id: string; active: boolean }) => client.routes.update(r.id, { active: r.active }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => client.routes.delete(id),
    onSuccess: () => {
      setConfirming(null);
      refresh();
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setFieldError(null);
    const f = new FormData(e.currentTarget);
    const filter = parseJson(formText(f, 'payload_filter'), 'Payload filter');
    if (!filter.ok) return setFieldError(filter.error);
    const p: CreateRouteParams = { destination_id: formText(f, 'destination_id') };
    const source = formText(f, 'source_id');
    if (source) p.source_id = source;
    const pattern = formText(f, 'pattern').trim();
    if (pattern) p.event_type_pattern = pattern;
    if (filter.value) p.payload_filter = filter.value as Record<string, unknown>;
    create.mutate(p, { onSuccess: () => (e.target as HTMLFormElement).reset() });
  };
  const rows = list.data?.data ?? [];
  return (
    <>
      <h1>Routes</h1>
      <ErrorNote error={list.error ?? toggle.error ?? remove.error} />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No routes yet.">
          <p>
            A route sends a source's events (all, or those whose type and payload match) to a destination. Create one
            below.
          </p>
        </Empty>
      ) : (
        <Table
          label="Routes"
          head={
            <tr>
              <th>Source</th>
              <th>Destination</th>
              <th>Event types</th>
              <th>Labels</th>
              <th>Payload filter</th>
              <th>State</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          }
        >
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                {r.source_id ? (
                  (names.source.get(r.source_id)?.name ?? r.source_id)
                ) : (
                  <span className="muted">any</span>
                )}
              </td>
              <td>
                <Link to={`/destinations/${r.destination_id}`}>
                  {names.destination.get(r.destination_id)?.name ?? r.destination_id}
                </Link>
              </td>
              <td>
                <code>{r.event_type_pattern ?? '*'}</code>
              </td>
              <td>
                {r.labels ? (
                  Object.entries(r.labels).map(([k, v]) => (
                    <code key={k}>
                      {k}={v}{' '}
                    </code>
                  ))
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>
                {r.payload_filter ? <code>{JSON.stringify(r.payload_filter)}</code> : <span className="muted">—</span>}
              </td>
              <td>
                <Status value={r.active ? 'active' : 'paused'} />
              </td>
              <td className="nowrap">
                {(() => {
                  const what = `route to ${names.destination.get(r.destination_id)?.name ?? r.destination_id} (${r.event_type_pattern ?? '*'})`;
                  return (
                    <Can action="config.write">
                      <span className="row">
                        <button
                          type="button"
                          className="small"
                          onClick={() => toggle.mutate({ id: r.id, active: !r.active })}
                          aria-label={`${r.active ? 'Pause' : 'Resume'} ${what}`}
                        >
                          {r.active ? 'Pause' : 'Resume'}
                        </button>
                        {confirming === r.id ? (
                          <button
                            type="button"
                            className="small danger"
                            onClick={() => remove.mutate(r.id)}
                            aria-label={`Confirm delete ${what}`}
                          >
                            Confirm delete
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="small danger"
                            onClick={() => setConfirming(r.id)}
                            aria-label={`Delete ${what}`}
                          >
                            Delete
                          </button>
                        )}
                      </span>
                    </Can>
                  );
                })()}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h2>New route</h2>
      <Can action="config.write">
        <form className="form" onSubmit={submit}>
          <label>
            Source
            <select name="source_id">
              <option value="">Any source</option>
              {names.sources.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Destination
            <select name="destination_id" required>
              {names.destinations.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Event type pattern
            <input name="pattern" placeholder="order.*" />
          </label>
          <label className="wide">
            Payload filter (JSON)
            <textarea
              name="payload_filter"
              placeholder='{"amount": {"$gte": 1000}}'
              aria-invalid={!!fieldError || undefined}
            />
          </label>
          <div>
            <button type="submit" className="primary" disabled={create.isPending || names.destinations.length === 0}>
              Create route
            </button>
          </div>
          <div className="wide">
            {fieldError && (
              <p className="field-error" role="alert">
                {fieldError}
              </p>
            )}
            <ErrorNote error={create.error} />
          </div>
        </form>
      </Can>
      <FilterTester />
    </>
  );
}

function FilterTester() {
  const [fieldError, setFieldError] = useState<string | null>(null);
  const test = useMutation({
    mutationFn: (p: { payload_filter: Record<string, unknown>; payload: unknown }) => client.payloadFilters.test(p),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setFieldError(null);
    const f = new FormData(e.currentTarget);
    const filter = parseJson(formText(f, 'filter'), 'Filter');
    if (!filter.ok) return setFieldError(filter.error);
    const payload = parseJson(formText(f, 'payload'), 'Payload');
    if (!payload.ok) return setFieldError(payload.error);
    test.mutate({ payload_filter: (filter.value ?? {}) as Record<string, unknown>, payload: payload.value ?? {} });
  };
  return (
    <section aria-labelledby="filter-tester">
      <h2 id="filter-tester">Try a payload filter</h2>
      <p className="muted">The server evaluates the filter exactly as routing does.</p>
      <form className="form" onSubmit={submit}>
        <label className="wide">
          Filter
          <textarea name="filter" placeholder='{"data.object.amount": {"$gte": 1000}}' />
        </label>
        <label className="wide">
          Payload
          <textarea name="payload" placeholder='{"data": {"object": {"amount": 4200}}}' />
        </label>
        <div className="row wide">
          <button type="submit" disabled={test.isPending}>
            Test filter
          </button>
          <span role="status">
            {test.data &&
              (test.data.matches ? (
                <span className="status tone-ok">matches</span>
              ) : (
                <span className="status tone-idle">does not match</span>
              ))}
          </span>
        </div>
        <div className="wide">
          {fieldError && (
            <p className="field-error" role="alert">
              {fieldError}
            </p>
          )}
          <ErrorNote error={test.error} />
        </div>
      </form>
    </section>
  );
}
