// From the results to the figures: each with its target from issue 8 and its ratio to the raw
// limit measured in the same run; a table for people; a comparison with an earlier run.
import type { GoProfileSummary } from './go-profile.ts';
import type { ProfileSummary } from './profile.ts';

export interface Figure {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  better: 'higher' | 'lower';
  /** The target as text, and whether it was met (null: no target or no value). */
  target: string;
  met: boolean | null;
  /** The matching raw limit of the same run, and value ÷ raw. */
  raw: string;
  ratio: number | null;
  /**
   * The figure is a rate above its raw limit: the limit is not the best
   * a bare program does on this machine, so the baseline is wrong, not the pipeline fast.
   */
  baselineDefect?: boolean;
}

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- result files read loosely

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const r2 = (v: number) => Math.round(v * 100) / 100;

function fig(
  key: string,
  label: string,
  value: unknown,
  unit: string,
  better: Figure['better'],
  o: { target?: [string, (v: number) => boolean]; raw?: [string, unknown] } = {},
): Figure {
  const v = num(value);
  const rawV = o.raw ? num(o.raw[1]) : null;
  const ratio = v !== null && rawV ? r2(v / rawV) : null;
  // Rates only: a latency a little under its raw one is within the noise of a closed loop.
  const defect = ratio !== null && better === 'higher' && ratio > 1;
  return {
    key,
    label,
    value: v,
    unit,
    better,
    target: o.target?.[0] ?? '',
    met: o.target && v !== null ? o.target[1](v) : null,
    raw: o.raw && rawV !== null ? `${o.raw[0]} ${fmt(rawV)}` : '',
    ratio,
    ...(defect ? { baselineDefect: true } : {}),
  };
}

export function fmt(v: number | null): string {
  if (v === null) return '—';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en');
  return String(Math.round(v * 100) / 100);
}

/** One row per variant of a raw limit measured several ways (scenarios/raw.ts), best first. */
function variantRows(
  key: string,
  label: string,
  variants: J[] | undefined,
  value: (v: J) => number,
  unit: string,
): Figure[] {
  return (variants ?? []).map((v) => {
    const how = [`nats ${String(v.variant.nats)}`, ...(v.variant.publish ? [String(v.variant.publish)] : [])].join(
      ', ',
    );
    return fig(`${key}.${String(v.variant.id)}`, `  ${label} — ${how}`, value(v), unit, 'higher');
  });
}

/**
 * µs of CPU per event of the whole pipeline (api, router, deliverer, projector, nats-server,
 * Postgres, every copy of each) in one scenario's window; null when it did not run.
 */
export function pipelineCpu(cost: Costs[string] | undefined): number | null {
  if (!cost) return null;
  const parts = Object.entries(cost.us).filter(([k]) => PIPELINE.includes(k.split('#')[0] as string));
  return parts.length === 0 ? null : parts.reduce((a, [, v]) => a + v, 0);
}

/** The headline: CPU per event at 1,000/s and at the sustained rate, each beside its target. */
function headline(res: J): Figure[] {
  const cost = (res.cost ?? {}) as Costs;
  const rate = num(res.scenarios?.sustained?.rate);
  return [
    fig('cpu_per_event.e2e_us', 'CPU per event, whole pipeline, at 1,000/s', pipelineCpu(cost.e2e), 'µs', 'lower', {
      target: ['≤ 600 µs', (v) => v <= 600],
    }),
    fig(
      'cpu_per_event.sustained_us',
      `CPU per event, whole pipeline, at the sustained rate${rate ? ` (${fmt(rate)}/s)` : ''}`,
      rate ? pipelineCpu(cost[`sustained@${rate}`]) : null,
      'µs',
      'lower',
      { target: ['≤ 300 µs', (v) => v <= 300] },
    ),
  ];
}

/** Every figure the issue asks for, in the order of the issue, after the headline. */
export function figures(res: J): Figure[] {
  const raw = res.raw ?? {};
  const pub = raw.fastify_publish ?? {};
  const out: Figure[] = [
    ...headline(res),
    fig('raw.fastify_202.rps', 'raw: bare Fastify 202', raw.fastify_202?.rps, 'req/s', 'higher'),
    fig(
      'raw.fastify_publish.rps',
      `raw: Fastify + JetStream publish${pub.variant ? ` (best: nats ${pub.variant.nats}, ${pub.variant.publish})` : ''}`,
      pub.rps,
      'req/s',
      'higher',
    ),
    fig('raw.fastify_publish.p50_ms', 'raw: Fastify + publish p50', pub.p50_ms, 'ms', 'lower'),
    fig('raw.fastify_publish.p99_ms', 'raw: Fastify + publish p99', pub.p99_ms, 'ms', 'lower'),
    ...variantRows('raw.fastify_publish', 'raw: Fastify + publish', pub.variants, (x) => x.rps, 'req/s'),
    fig(
      'raw.jetstream.publish_per_s',
      `raw: JetStream publish, 64 in flight${raw.jetstream?.variant ? ` (best: nats ${raw.jetstream.variant.nats})` : ''}`,
      raw.jetstream?.publish_per_s,
      'msg/s',
      'higher',
    ),
    fig(
      'raw.jetstream.consume_ack_per_s',
      'raw: JetStream consume + ack, same server',
      raw.jetstream?.consume_ack_per_s,
      'msg/s',
      'higher',
    ),
    ...variantRows('raw.jetstream', 'raw: JetStream publish', raw.jetstream?.variants, (x) => x.publish_per_s, 'msg/s'),
    fig('raw.http_sink.rps', 'raw: undici → bare HTTP sink', raw.http_sink?.rps, 'req/s', 'higher'),
    fig(
      'raw.postgres_insert.rows_per_s',
      'raw: Postgres 500-row INSERTs',
      raw.postgres_insert?.rows_per_s,
      'rows/s',
      'higher',
    ),
    fig(
      'raw.postgres_copy.rows_per_s',
      'raw: Postgres COPY, 5,000-row batches',
      raw.postgres_copy?.rows_per_s,
      'rows/s',
      'higher',
    ),
  ];
  const pubRaw = ['Fastify+publish', pub.rps] as [string, unknown];
  const s = res.scenarios ?? {};
  if (s.ingest) {
    out.push(
      fig('ingest.rps', 'ingest, 50 connections', s.ingest.rps, 'req/s', 'higher', {
        target: ['≥ 80% of Fastify+publish', (v) => !!pub.rps && v >= 0.8 * pub.rps],
        raw: pubRaw,
      }),
      fig('ingest.p50_ms', 'ingest p50', s.ingest.p50_ms, 'ms', 'lower', { raw: ['Fastify+publish p50', pub.p50_ms] }),
      fig('ingest.p99_ms', 'ingest p99', s.ingest.p99_ms, 'ms', 'lower', { raw: ['Fastify+publish p99', pub.p99_ms] }),
    );
  }
  if (s.default) {
    out.push(
      fig(
        'default.ingest.rps',
        "ingest of make run's default (roles supervised in 3 processes)",
        s.default.rps,
        'req/s',
        'higher',
        {
          target: ['≥ 80% of Fastify+publish', (v) => !!pub.rps && v >= 0.8 * pub.rps],
          raw: pubRaw,
        },
      ),
    );
  }
  if (s.e2e) {
    out.push(
      fig('e2e.p50_ms', 'end-to-end at 1,000/s, p50 (202 → arrival)', s.e2e.e2e?.p50, 'ms', 'lower', {
        target: ['≤ 10 ms', (v) => v <= 10],
      }),
      fig('e2e.p99_ms', 'end-to-end at 1,000/s, p99', s.e2e.e2e?.p99, 'ms', 'lower', {
        target: ['≤ 50 ms', (v) => v <= 50],
      }),
      fig('e2e.max_ms', 'end-to-end at 1,000/s, max', s.e2e.e2e?.max, 'ms', 'lower'),
      fig('projection.lag_max_ms', 'projection lag at 1,000/s, max', s.e2e.lag?.max_ms, 'ms', 'lower', {
        target: ['< 1 s', (v) => v < 1000],
      }),
    );
  }
  if (s.sustained) {
    out.push(
      fig(
        'sustained.rate',
        `sustained end-to-end (${s.sustained.window_s} s window)`,
        s.sustained.rate,
        'events/s',
        'higher',
        {
          target: ['≥ 5,000/s', (v) => v >= 5000],
          raw: pubRaw,
        },
      ),
    );
  }
  if (s.fanout) {
    out.push(
      fig(
        'fanout.deliveries_per_s',
        'fan-out 1 → 10 destinations',
        s.fanout.deliveries_per_s,
        'deliveries/s',
        'higher',
        {
          target: ['≥ 10,000/s', (v) => v >= 10_000],
          raw: ['undici→sink', raw.http_sink?.rps],
        },
      ),
    );
  }
  if (s.fanout2) {
    out.push(
      fig(
        'fanout2.deliveries_per_s',
        `fan-out 1 → 10, ${s.fanout2.deliverers} deliverer processes`,
        s.fanout2.deliveries_per_s,
        'deliveries/s',
        'higher',
        {
          target: ['≥ 10,000/s', (v) => v >= 10_000],
          raw: ['undici→sink', raw.http_sink?.rps],
        },
      ),
    );
  }
  if (s.backlog) {
    const b = s.backlog;
    out.push(
      fig('backlog.without_p99_ms', 'healthy destination p99, no backlog (500/s)', b.without?.e2e?.p99, 'ms', 'lower'),
      fig(
        'backlog.with_p99_ms',
        `healthy destination p99, ${fmt(b.waiting_at_start)} waiting on a dead one`,
        b.with?.e2e?.p99,
        'ms',
        'lower',
      ),
      fig('backlog.p99_ratio', 'backlog isolation: p99 with ÷ without', b.p99_ratio, '×', 'lower', {
        target: ['≤ 2×', (v) => v <= 2],
      }),
    );
  }
  if (s.rebuild) {
    out.push(
      fig(
        'rebuild.records_per_s',
        'rebuild from the streams (events, routings, attempts)',
        s.rebuild.records_per_s,
        'records/s',
        'higher',
        {
          target: ['≥ 20,000/s', (v) => v >= 20_000],
          // The best a bare program gets rows into that table, whichever of the two ways it is.
          raw:
            (num(raw.postgres_copy?.rows_per_s) ?? 0) > (num(raw.postgres_insert?.rows_per_s) ?? 0)
              ? ['PG COPY', raw.postgres_copy?.rows_per_s]
              : ['PG inserts', raw.postgres_insert?.rows_per_s],
        },
      ),
      fig('rebuild.messages_per_s', 'rebuild: stream messages', s.rebuild.messages_per_s, 'msg/s', 'higher'),
      fig(
        'rebuild.events_per_s',
        'rebuild: webhook events, in its events phase',
        s.rebuild.events_per_s,
        'events/s',
        'higher',
      ),
    );
  }
  if (s.query) {
    const rows = fmt(s.query.rows);
    out.push(
      fig('query.p50_ms', `GET /v1/events with filters, p50 (${rows} events)`, s.query.p50_ms, 'ms', 'lower'),
      fig('query.p99_ms', `GET /v1/events with filters, p99 (${rows} events)`, s.query.p99_ms, 'ms', 'lower', {
        target: ['< 20 ms', (v) => v < 20],
      }),
    );
    if (s.query.stats) {
      out.push(
        fig(
          'query.stats_p50_ms',
          `GET /v1/stats 1h/24h/7d and a destination's, p50 (${rows} events)`,
          s.query.stats.p50_ms,
          'ms',
          'lower',
        ),
        fig(
          'query.stats_p99_ms',
          `GET /v1/stats 1h/24h/7d and a destination's, p99 (${rows} events)`,
          s.query.stats.p99_ms,
          'ms',
          'lower',
          {
            target: ['< 50 ms', (v) => v < 50],
          },
        ),
      );
    }
  }
  if (s.memory) {
    for (const [role, mb] of Object.entries(s.memory.peak_rss_mb ?? {})) {
      out.push(
        fig(`memory.${role}_mb`, `peak RSS: ${role}`, mb, 'MB', 'lower', { target: ['< 200 MB', (v) => v < 200] }),
      );
    }
    if (s.memory.deliverer_backlog_mb !== undefined) {
      out.push(
        fig(
          'memory.deliverer_backlog_mb',
          'peak RSS: deliverer holding the backlog',
          s.memory.deliverer_backlog_mb,
          'MB',
          'lower',
          { target: ['< 400 MB', (v) => v < 400] },
        ),
      );
    }
  }
  return out;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** The human table (also valid Markdown, for docs/performance.md). */
export function render(figs: readonly Figure[]): string {
  return table(
    ['figure', 'value', 'target', 'met', 'raw limit (same run)', 'ratio'],
    figs.map((f) => [
      f.label,
      `${fmt(f.value)} ${f.unit}`,
      f.target,
      f.met === null ? '' : f.met ? 'yes' : 'NO',
      f.raw,
      f.ratio === null ? '' : f.baselineDefect ? `${f.ratio} BASELINE DEFECT` : `${f.ratio}`,
    ]),
  );
}

/** A line per figure that beats its raw limit: that limit is not the best this machine does. */
export function baselineDefects(figs: readonly Figure[]): string[] {
  return figs
    .filter((f) => f.baselineDefect)
    .map(
      (f) =>
        `baseline defect: "${f.label}" is ${f.ratio}× its raw limit (${f.raw}); a raw limit must be the best a bare program does here, so that limit is wrong`,
    );
}

/**
 * Deltas against an earlier run. A figure that got >10% worse is a regression when its ratio to
 * the raw limit got >10% worse too (or it has none); when only the absolute value moved, the
 * machine was slower that time, and the line says so.
 */
export function compare(latest: readonly Figure[], previous: readonly Figure[]): { text: string; regressions: number } {
  const prev = new Map(previous.map((f) => [f.key, f]));
  let regressions = 0;
  const rows: string[][] = [];
  for (const f of latest) {
    const p = prev.get(f.key);
    if (!p || p.value === null || f.value === null || p.value === 0) continue;
    const delta = (f.value - p.value) / Math.abs(p.value);
    const worse = f.better === 'higher' ? -delta : delta;
    const ratioDelta = f.ratio !== null && p.ratio ? (f.ratio - p.ratio) / Math.abs(p.ratio) : null;
    const ratioWorse = ratioDelta === null ? null : f.better === 'higher' ? -ratioDelta : ratioDelta;
    let flag = '';
    // Raw limits measure the machine, not Hookstream: their moves explain the others'.
    if (f.key.startsWith('raw.')) flag = worse > 0.1 ? 'machine slower' : worse < -0.1 ? 'machine faster' : '';
    else if (worse > 0.1 && (ratioWorse === null || ratioWorse > 0.1)) {
      flag = 'REGRESSION';
      regressions++;
    } else if (worse > 0.1) flag = 'slower machine (ratio held)';
    else if (worse < -0.1) flag = 'better';
    rows.push([
      f.label,
      `${fmt(p.value)} ${f.unit}`,
      `${fmt(f.value)} ${f.unit}`,
      `${delta >= 0 ? '+' : ''}${Math.round(delta * 100)}%`,
      ratioDelta === null ? '' : `${ratioDelta >= 0 ? '+' : ''}${Math.round(ratioDelta * 100)}%`,
      flag,
    ]);
  }
  return { text: table(['figure', 'previous', 'latest', 'Δ value', 'Δ ratio', ''], rows), regressions };
}

type Costs = Record<string, { unit: string; units: number; us: Record<string, number> }>;

const COST_ORDER = [
  'api',
  'router',
  'deliverer',
  'projector',
  'nats-server',
  'postgres',
  'server',
  'client',
  'rebuild',
  'loadgen',
  'receiver',
  'bench',
];

/** Scenario × process: CPU µs per unit of work. */
export function renderCosts(costs: Costs): string {
  const present = new Set(Object.values(costs).flatMap((c) => Object.keys(c.us)));
  const cols = [...COST_ORDER.filter((c) => present.has(c)), ...[...present].filter((c) => !COST_ORDER.includes(c))];
  return table(
    ['scenario', 'per', ...cols],
    Object.entries(costs).map(([name, c]) => [
      name,
      c.unit,
      ...cols.map((k) => (c.us[k] === undefined ? '' : String(c.us[k]))),
    ]),
  );
}

type Syscalls = Record<string, { unit: string; units: number; per: Record<string, { reads: number; writes: number }> }>;

/** Scenario × process: "reads / writes" system calls per unit of work. */
export function renderSyscalls(calls: Syscalls): string {
  const present = new Set(Object.values(calls).flatMap((c) => Object.keys(c.per)));
  const cols = [...COST_ORDER.filter((c) => present.has(c)), ...[...present].filter((c) => !COST_ORDER.includes(c))];
  return table(
    ['scenario', 'per', ...cols],
    Object.entries(calls).map(([name, c]) => [
      name,
      c.unit,
      ...cols.map((k) => {
        const v = c.per[k];
        return v ? `${v.reads} / ${v.writes}` : '';
      }),
    ]),
  );
}

/** A role's CPU profile summary: shares of busy time by package, then the top functions by self time. */
export function renderProfile(role: string, p: ProfileSummary & { dir: string }): string {
  return [
    `${role} CPU profile during the scenarios run (${p.dir}); busy ${p.busy_pct}% of ${p.samples} samples; shares of busy time by package:`,
    '  ' + p.packages.map((t) => `${t.name} ${t.self_pct}%`).join(', '),
    'top functions by self time:',
    ...p.top.slice(0, 15).map((t) => `  ${String(t.self_pct).padStart(5)}%  ${t.name}`),
  ].join('\n');
}

export function renderGoProfile(name: string, p: GoProfileSummary & { dir: string }): string {
  return [
    `${name} CPU profile (Go pprof, ${p.dir}): ${p.chunks} of ${p.chunks_taken} chunks inside the scenarios' windows, ${p.cpu_s} s of CPU;`,
    'top functions by self time:',
    ...p.top.slice(0, 10).map((t) => `  ${String(t.self_pct).padStart(5)}%  ${t.name}`),
    "the same time charged to the innermost of the server's own functions (system calls and allocations to their caller):",
    ...p.by_server_fn.slice(0, 15).map((t) => `  ${String(t.self_pct).padStart(5)}%  ${t.name}`),
    "the server's own functions by total time (with what they call):",
    ...p.server.slice(0, 10).map((t) => `  ${String(t.total_pct).padStart(5)}%  ${t.name}`),
  ].join('\n');
}

const PIPELINE = ['api', 'router', 'deliverer', 'projector', 'nats-server', 'postgres'];
const SINGLE_THREADED = ['api', 'router', 'deliverer', 'projector'];

/**
 * What the CPU cost per event of the fixed-rate run implies for an otherwise idle machine: all
 * cores busy at Σ cost, or the busiest Node process (one event loop) at 1 s ÷ its cost.
 */
export function ceiling(costs: Costs, cores = 2) {
  const c = costs.e2e;
  if (!c) return null;
  const per: Record<string, number> = {};
  for (const k of PIPELINE) if (c.us[k] !== undefined) per[k] = c.us[k];
  const total = Object.values(per).reduce((a, b) => a + b, 0);
  const busiest = SINGLE_THREADED.filter((k) => per[k] !== undefined).sort(
    (a, b) => (per[b] as number) - (per[a] as number),
  )[0];
  if (!total || !busiest) return null;
  return {
    cores,
    per_process_us: per,
    total_us: total,
    cores_bound_per_s: Math.round((cores * 1e6) / total),
    busiest,
    busiest_bound_per_s: Math.round(1e6 / (per[busiest] as number)),
  };
}
