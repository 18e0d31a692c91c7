// One destination: attempts over time by status class, latest failures, edit, pause, rotate, test.
import { type FormEvent, useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Destination, UpdateDestinationParams } from '@hookstream/sdk';
import { type StatsRange, client } from '../api.ts';
import { Chart } from '../chart.tsx';
import { Link } from '../router.tsx';
import { Can, useCan } from '../permissions.tsx';
import {
  ErrorNote,
  Id,
  Loading,
  SecretOnce,
  Status,
  Table,
  Time,
  formText,
  healthOf,
  ms,
  num,
  parseJson,
  pct,
  shortId,
} from '../ui.tsx';
import { RangePicker } from './Overview.tsx';

export function DestinationDetail({ id }: { id: string }) {
  const [range, setRange] = useState<StatsRange>('24h');
  const qc = useQueryClient();
  const can = useCan();
  const dest = useQuery({ queryKey: ['destination', id], queryFn: () => client.destinations.get(id) });
  const stats = useQuery({
    queryKey: ['destination-stats', id, range],
    queryFn: () => client.destinations.stats(id, { range }),
    refetchInterval: 10_000,
  });
  const [secret, setSecret] = useState<{ value: string; previousUntil: string | null } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const invalidate = () => {
    void qc.invalidateQueries({ queryKey: ['destination', id] });
    void qc.invalidateQueries({ queryKey: ['destinations'] });
  };
  const rotate = useMutation({
    mutationFn: () => client.destinations.rotateSecret(id),
    onSuccess: (r) => setSecret({ value: r.signing_secret, previousUntil: r.previous_expires_at }),
  });
  const pause = useMutation({
    mutationFn: (active: boolean) => client.destinations.update(id, { active }),
    onSuccess: invalidate,
  });
  const test = useMutation({
    mutationFn: () => client.destinations.sendTestEvent(id, {}),
    onSuccess: (r) => setNotice(`Test event sent: ${r.event_id}`),
  });
  const chart = useMemo(() => {
    const s = stats.data;
    if (!s) return null;
    return {
      times: s.series.map((p) => Date.parse(p.t) / 1000),
      series: [
        { label: '2xx', color: '--ok', values: s.series.map((p) => p.s2xx) },
        { label: '4xx', color: '--warn', values: s.series.map((p) => p.s4xx) },
        { label: '5xx', color: '--bad', values: s.series.map((p) => p.s5xx) },
        { label: 'network', color: '--dead', values: s.series.map((p) => p.network) },
      ],
    };
  }, [stats.data]);
  if (dest.isPending) return <Loading />;
  if (dest.error) return <ErrorNote error={dest.error} />;
  const d = dest.data;
  const s = stats.data;
  return (
    <>
      <p>
        <Link to="/destinations">← Destinations</Link>
      </p>
      <div className="topline">
        <div className="row">
          <h1>{d.name}</h1>
          <Status value={healthOf(d.active, s)} />
        </div>
        <div className="row">
          <RangePicker value={range} onChange={setRange} />
          {can('events.send') && (
            <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>
              Send test event
            </button>
          )}
          {can('config.write') && (
            <>
              <button type="button" onClick={() => pause.mutate(!d.active)} disabled={pause.isPending}>
                {d.active ? 'Pause' : 'Resume'}
              </button>
              <button type="button" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
                Rotate secret
              </button>
            </>
          )}
          {can('audit.read') && (
            <Link className="button" to={`/settings/audit-log?resource_id=${encodeURIComponent(d.id)}`}>
              History
            </Link>
          )}
        </div>
      </div>
      <ErrorNote error={rotate.error ?? pause.error ?? test.error ?? stats.error} />
      {secret && (
        <SecretOnce
          label="New signing secret"
          value={secret.value}
          note={
            secret.previousUntil ? (
              <>
                The previous secret also signs deliveries until{' '}
                <time dateTime={secret.previousUntil}>
                  {new Date(secret.previousUntil).toLocaleString(undefined, {
                    dateStyle: 'medium',
                    timeStyle: 'short',
                  })}
                </time>
                , so receivers can switch without losing any.
              </>
            ) : undefined
          }
        />
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <dl className="meta">
        <dt>Id</dt>
        <dd>
          <Id value={d.id} />
        </dd>
        <dt>URL</dt>
        <dd className="mono">{d.url}</dd>
        <dt>Success rate</dt>
        <dd>{pct(s?.success_rate)}</dd>
        <dt>Latency</dt>
        <dd>
          p50 {ms(s?.p50_ms)} · p95 {ms(s?.p95_ms)}
        </dd>
        <dt>Pending</dt>
        <dd>{num(s?.pending)}</dd>
      </dl>
      {chart && <Chart label="Attempts by status class" times={chart.times} series={chart.series} height={180} />}
      <h2>Latest failures</h2>
      {!s || s.recent_failures.length === 0 ? (
        <p className="muted">No failure in this range.</p>
      ) : (
        <Table
          label="Latest failures"
          head={
            <tr>
              <th>When</th>
              <th>Status</th>
              <th>Error</th>
              <th>Response</th>
              <th>Event</th>
            </tr>
          }
        >
          {s.recent_failures.map((f) => (
            <tr key={`${f.delivery_id}-${f.at}`}>
              <td>
                <Time iso={f.at} />
              </td>
              <td>
                {f.status_code ? (
                  <span className="status tone-bad">{f.status_code} · failed</span>
                ) : (
                  <Status value="failed" />
                )}
              </td>
              <td>{f.error ?? '—'}</td>
              <td className="mono">{f.response_excerpt ? f.response_excerpt.slice(0, 120) : '—'}</td>
              <td>
                <Link to={`/events/${encodeURIComponent(f.event_id)}`}>
                  <code title={f.event_id}>{shortId(f.event_id)}</code>
                </Link>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <EditDestination d={d} onSaved={invalidate} />
    </>
  );
}

const SCHEMES: Array<Destination['signature_scheme']> = ['standard_webhooks', 'stripe', 'github', 'hmac'];

function EditDestination({ d, onSaved }: { d: Destination; onSaved: () => void }) {
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (p: UpdateDestinationParams) => client.destinations.update(d.id, p),
    onSuccess: () => {
      setSaved(true);
      onSaved();
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setSaved(false);
    setFieldError(null);
    const f = new FormData(e.currentTarget);
    const headers = parseJson(formText(f, 'headers'), 'Headers');
    if (!headers.ok) return setFieldError(headers.error);
    const p: UpdateDestinationParams = {
      name: formText(f, 'name'),
      url: formText(f, 'url'),
      headers: (headers.value ?? {}) as Record<string, string>,
      timeout_ms: Number(f.get('timeout_ms')),
      retry_policy: {
        ...d.retry_policy,
        max_attempts: Number(f.get('max_attempts')),
      } as UpdateDestinationParams['retry_policy'],
      rate_limit_per_s: f.get('rate_limit') ? Number(f.get('rate_limit')) : null,
      signature_scheme: formText(f, 'signature_scheme') as Destination['signature_scheme'],
    };
    const token = formText(f, 'auth_token');
    if (token) p.auth_token = token;
    save.mutate(p);
  };
  return (
    <section aria-labelledby="edit-destination">
      <h2 id="edit-destination">Settings</h2>
      <Can action="config.write">
        <form className="form" onSubmit={submit} key={d.updated_at}>
          <label>
            Name
            <input name="name" defaultValue={d.name} required />
          </label>
          <label className="wide">
            URL
            <input name="url" defaultValue={d.url} required />
          </label>
          <label>
            Timeout (ms)
            <input name="timeout_ms" type="number" min={100} max={120000} defaultValue={d.timeout_ms} />
          </label>
          <label>
            Max attempts
            <input name="max_attempts" type="number" min={1} max={50} defaultValue={d.retry_policy.max_attempts} />
          </label>
          <label>
            Rate limit (per second)
            <input
              name="rate_limit"
              type="number"
              min={0}
              step="any"
              defaultValue={d.rate_limit_per_s ?? ''}
              placeholder="none"
            />
          </label>
          <label>
            Signature scheme
            <select name="signature_scheme" defaultValue={d.signature_scheme}>
              {SCHEMES.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </label>
          <label>
            Bearer token {d.auth_token_set ? '(set; leave empty to keep)' : ''}
            <input name="auth_token" type="password" autoComplete="off" />
          </label>
          <label className="wide">
            Headers (JSON)
            <textarea
              name="headers"
              defaultValue={JSON.stringify(d.headers, null, 2)}
              aria-invalid={!!fieldError || undefined}
            />
          </label>
          <div className="wide row">
            <button type="submit" className="primary" disabled={save.isPending}>
              Save destination
            </button>
            {saved && <span role="status">Saved.</span>}
          </div>
          <div className="wide">
            {fieldError && (
              <p className="field-error" role="alert">
                {fieldError}
              </p>
            )}
            <ErrorNote error={save.error} />
          </div>
        </form>
      </Can>
    </section>
  );
}
