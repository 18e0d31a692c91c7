// The account at a glance over a chosen range: totals, a chart by status, destinations, the pipeline.
import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { RANGES, type StatsRange, client } from '../api.ts';
import { Chart } from '../chart.tsx';
import { Link } from '../router.tsx';
import { Empty, ErrorNote, Loading, Status, Table, Time, healthOf, ms, num, pct } from '../ui.tsx';

export function RangePicker({ value, onChange }: { value: StatsRange; onChange: (r: StatsRange) => void }) {
  return (
    <div className="segmented" role="group" aria-label="Range">
      {RANGES.map((r) => (
        <button key={r} type="button" aria-pressed={value === r} onClick={() => onChange(r)}>
          {r.replace('h', ' h').replace('d', ' d')}
        </button>
      ))}
    </div>
  );
}

export function Overview() {
  const [range, setRange] = useState<StatsRange>('24h');
  const stats = useQuery({
    queryKey: ['stats', range],
    queryFn: () => client.stats.get({ range }),
    refetchInterval: 10_000,
  });
  const s = stats.data;
  const chart = useMemo(() => {
    if (!s) return null;
    return {
      times: s.series.map((p) => Date.parse(p.t) / 1000),
      series: [
        { label: 'received', color: '--idle', values: s.series.map((p) => p.received) },
        { label: 'delivered', color: '--ok', values: s.series.map((p) => p.delivered) },
        { label: 'retrying', color: '--warn', values: s.series.map((p) => p.retrying) },
        { label: 'dead-lettered', color: '--dead', values: s.series.map((p) => p.dead_lettered) },
      ],
    };
  }, [s]);
  const failing = (s?.destinations ?? []).filter((d) => healthOf(true, d) !== 'closed');
  return (
    <>
      <div className="topline">
        <h1>Overview</h1>
        <RangePicker value={range} onChange={setRange} />
      </div>
      <ErrorNote error={stats.error} />
      {!s ? (
        stats.isPending && <Loading />
      ) : (
        <>
          <div className="cards">
            <Card label="Received" tone="idle" value={s.totals.received} />
            <Card label="Delivered" tone="ok" value={s.totals.delivered} />
            <Card label="Retrying" tone="warn" value={s.totals.retrying} />
            <Card label="Dead-lettered" tone="dead" value={s.totals.dead_lettered} href="/dead-letters" />
            <Card label="Failed attempts" tone="bad" value={s.totals.failed_attempts} />
          </div>
          {chart && (
            <Chart
              label={`Events per ${Math.round(s.interval_s / 60)} min by status`}
              times={chart.times}
              series={chart.series}
            />
          )}
          <h2>Failing now</h2>
          {failing.length === 0 ? (
            <p className="muted">No destination is failing.</p>
          ) : (
            <Table
              label="Failing destinations"
              head={
                <tr>
                  <th>Destination</th>
                  <th>State</th>
                  <th>Last error</th>
                  <th>When</th>
                </tr>
              }
            >
              {failing.map((d) => (
                <tr key={d.destination_id}>
                  <td>
                    <Link to={`/destinations/${d.destination_id}`}>{d.name}</Link>
                  </td>
                  <td>
                    <Status value={healthOf(true, d)} />
                  </td>
                  <td>{d.last_error ?? (d.last_status_code ? `HTTP ${d.last_status_code}` : '—')}</td>
                  <td>
                    <Time iso={d.last_error_at} />
                  </td>
                </tr>
              ))}
            </Table>
          )}
          <h2>Destinations</h2>
          {s.destinations.length === 0 ? (
            <Empty title="No deliveries in this range.">
              <p>
                Add a <Link to="/destinations">destination</Link> and a <Link to="/routes">route</Link> to start
                delivering.
              </p>
            </Empty>
          ) : (
            <Table
              label="Destination health"
              head={
                <tr>
                  <th>Destination</th>
                  <th>Health</th>
                  <th className="num">Attempts</th>
                  <th className="num">Success</th>
                  <th className="num">p50</th>
                  <th className="num">p95</th>
                  <th className="num">Backlog</th>
                </tr>
              }
            >
              {s.destinations.map((d) => (
                <tr key={d.destination_id}>
                  <td>
                    <Link to={`/destinations/${d.destination_id}`}>{d.name}</Link>
                  </td>
                  <td>
                    <Status value={healthOf(true, d)} />
                  </td>
                  <td className="num">{num(d.attempts)}</td>
                  <td className="num">{pct(d.success_rate)}</td>
                  <td className="num">{ms(d.p50_ms)}</td>
                  <td className="num">{ms(d.p95_ms)}</td>
                  <td className="num">{num(d.pending)}</td>
                </tr>
              ))}
            </Table>
          )}
          <h2>Pipeline</h2>
          <div className="row">
            <Status value={s.pipeline.ready ? 'ready' : 'not_ready'} />
            {Object.entries(s.pipeline.checks).map(([name, ok]) => (
              <span key={name} className={`status tone-${ok ? 'ok' : 'bad'}`}>
                {name}: {ok ? 'ok' : 'down'}
              </span>
            ))}
            <span className="muted">projection lag {ms(s.pipeline.projection_lag_ms)}</span>
          </div>
        </>
      )}
    </>
  );
}

function Card({ label, value, tone, href }: { label: string; value: number; tone: string; href?: string }) {
  const body = (
    <>
      <div className="label">
        <span className={`status tone-${tone}`}>{label.toLowerCase()}</span>
      </div>
      <div className="value">{num(value)}</div>
    </>
  );
  return (
    <div className="card" aria-label={`${label}: ${value}`}>
      {href ? <Link to={href}>{body}</Link> : body}
    </div>
  );
}
