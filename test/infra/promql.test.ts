// Every PromQL expression in the alerts and the dashboard names only metrics that Hookstream (or
// prom-client's process metrics, or Prometheus' `up`) exposes, with labels and label values that
// those metrics carry. The stack cannot run here, so the names are checked against the registry.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { METRIC_LABELS, METRIC_NAMES, createMetrics, type MetricName } from '@hookstream/observability';

const INFRA = path.resolve(import.meta.dirname, '../../infra');

interface Matcher {
  label: string;
  op: string;
  value: string;
}
interface Selector {
  name: string;
  matchers: Matcher[];
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const TOKEN =
  /\s*(?:("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)|([a-zA-Z_:][a-zA-Z0-9_:]*)|(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-z]*)|(=~|!~|!=|==|>=|<=|[-+*/%^<>=(){},]))/y;

/** Tokens of a PromQL expression; range and subquery brackets (`[5m]`, `[$__rate_interval]`) dropped. */
export function tokenize(expr: string): string[] {
  const src = expr.replace(/\[[^\]]*\]/g, ' ');
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`cannot tokenize ${JSON.stringify(src.slice(at, at + 20))} in ${expr}`);
    tokens.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

const unquote = (s: string): string =>
  s.startsWith('`') ? s.slice(1, -1) : (JSON.parse(s.startsWith("'") ? `"${s.slice(1, -1)}"` : s) as string);

/** Metric selectors of an expression: names with their label matchers. Functions and labels in by() are not metrics. */
export function selectors(expr: string): Selector[] {
  const tk = tokenize(expr);
  const out: Selector[] = [];
  const readMatchers = (i: number): [Matcher[], number] => {
    const matchers: Matcher[] = [];
    let j = i + 1; // after '{'
    while (tk[j] !== '}') {
      const [label, op, value] = [tk[j], tk[j + 1], tk[j + 2]];
      if (!label || !op || !value || !['=', '!=', '=~', '!~'].includes(op)) throw new Error(`bad matcher in ${expr}`);
      matchers.push({ label, op, value: unquote(value) });
      j += 3;
      if (tk[j] === ',') j += 1;
    }
    return [matchers, j + 1];
  };
  let i = 0;
  while (i < tk.length) {
    const tok = tk[i] as string;
    if (LABEL_LIST_KEYWORDS.has(tok) && tk[i + 1] === '(') {
      i = tk.indexOf(')', i) + 1;
    } else if (KEYWORDS.has(tok) || !/^[a-zA-Z_:]/.test(tok)) {
      if (tok === '{') {
        const [matchers, next] = readMatchers(i);
        const name = matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
        if (!name) throw new Error(`selector without a metric name in ${expr}`);
        out.push({ name, matchers: matchers.filter((m) => m.label !== '__name__') });
        i = next;
      } else i += 1;
    } else if (tk[i + 1] === '(' || tk[i + 1] === 'by' || tk[i + 1] === 'without') {
      i += 1; // a function, or an aggregation (`sum by (le) (…)`)
    } else if (tk[i + 1] === '{') {
      const [matchers, next] = readMatchers(i + 1);
      out.push({ name: tok, matchers });
      i = next;
    } else {
      out.push({ name: tok, matchers: [] });
      i += 1;
    }
  }
  return out;
}

// What the registry really exposes: families, their types and (for process metrics) their labels.
async function exposed(): Promise<{ types: Map<string, string>; labels: Map<string, Set<string>> }> {
  const text = await createMetrics().render();
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} /.exec(line);
    if (sample) {
      const set = labels.get(sample[1] as string) ?? new Set<string>();
      for (const pair of (sample[2] as string).split(',')) set.add(pair.split('=')[0] as string);
      labels.set(sample[1] as string, set);
    }
  }
  return { types, labels };
}

const TARGET_LABELS = ['job', 'instance', 'role'];

function checker(ex: Awaited<ReturnType<typeof exposed>>, jobs: readonly string[]) {
  const hookstream = new Set<string>(METRIC_NAMES);
  /** Problems with one selector; empty when it is sound. */
  return (sel: Selector): string[] => {
    let family = sel.name;
    let extra: string[] = [];
    const suffix = /_(bucket|sum|count)$/.exec(sel.name);
    if (!ex.types.has(family) && suffix && ex.types.get(sel.name.slice(0, suffix.index)) === 'histogram') {
      family = sel.name.slice(0, suffix.index);
      if (suffix[1] === 'bucket') extra = ['le'];
    }
    if (family !== 'up' && !ex.types.has(family)) return [`unknown metric ${sel.name}`];
    if (family !== 'up' && ex.types.get(family) === 'histogram' && family === sel.name)
      return [`histogram ${family} used without _bucket/_sum/_count`];
    const own = hookstream.has(family)
      ? METRIC_LABELS[family as MetricName]
      : Object.fromEntries([...(ex.labels.get(sel.name) ?? [])].map((l) => [l, null]));
    const problems: string[] = [];
    for (const m of sel.matchers) {
      if (m.label === 'job') {
        if (!jobs.includes(m.value)) problems.push(`${sel.name}: job="${m.value}" is not a scrape job`);
        continue;
      }
      if (TARGET_LABELS.includes(m.label) || extra.includes(m.label)) continue;
      if (!(m.label in own)) {
        problems.push(`${sel.name} has no label ${m.label}`);
        continue;
      }
      const allowed = (own as Record<string, readonly string[] | null>)[m.label];
      if (!allowed) continue;
      const values = m.op === '=' || m.op === '!=' ? [m.value] : m.value.split('|').filter((v) => /^\w+$/.test(v));
      for (const v of values)
        if (v !== 'other' && !allowed.includes(v)) problems.push(`${sel.name}: ${m.label}="${v}" never occurs`);
    }
    return problems;
  };
}

function dashboardExprs(): Array<{ where: string; expr: string }> {
  const dash = JSON.parse(readFileSync(path.join(INFRA, 'grafana/dashboards/hookstream.json'), 'utf8')) as {
    panels: Array<{ title: string; type: string; targets?: Array<{ expr?: string }> }>;
  };
  return dash.panels.flatMap((p) =>
    (p.targets ?? []).map((tg) => ({ where: `panel "${p.title}"`, expr: tg.expr ?? '' })),
  );
}

function alertExprs(): Array<{ where: string; expr: string }> {
  const doc = parseYaml(readFileSync(path.join(INFRA, 'prometheus/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

function scrapeJobs(): string[] {
  const doc = parseYaml(readFileSync(path.join(INFRA, 'prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string }>;
  };
  return doc.scrape_configs.map((s) => s.job_name);
}

t.test('the tokenizer finds metric names, not functions or grouping labels', async (t) => {
  t.same(
    selectors(
      'histogram_quantile(0.99, sum by (le, class) (rate(hookstream_delivery_duration_seconds_bucket{class=~"5xx|timeout"}[$__rate_interval])))',
    ),
    [
      {
        name: 'hookstream_delivery_duration_seconds_bucket',
        matchers: [{ label: 'class', op: '=~', value: '5xx|timeout' }],
      },
    ],
  );
  t.same(
    selectors('sum(rate(a_total{x!="y"}[5m])) / sum without (instance) (b) > 0.25 and on (job) up == 0').map(
      (s) => s.name,
    ),
    ['a_total', 'b', 'up'],
  );
  t.same(
    selectors('{__name__="c", role="api"} offset 5m').map((s) => [s.name, s.matchers.length]),
    [['c', 1]],
  );
  t.throws(() => selectors('sum(x{y})'), 'a malformed matcher is an error, not a silent pass');
});

t.test('the checker refuses unknown metrics, labels and values', async (t) => {
  const check = checker(await exposed(), ['hookstream']);
  t.same(
    check({ name: 'hookstream_deliveries_total', matchers: [{ label: 'outcome', op: '=', value: 'delivered' }] }),
    [],
  );
  t.same(check({ name: 'hookstream_delivery_attempt_bucket', matchers: [{ label: 'le', op: '=', value: '5' }] }), []);
  t.same(
    check({ name: 'process_resident_memory_bytes', matchers: [{ label: 'job', op: '=', value: 'hookstream' }] }),
    [],
  );
  t.match(check({ name: 'hookstream_delivries_total', matchers: [] }), [/unknown metric/]);
  t.match(check({ name: 'hookstream_router_fanout', matchers: [] }), [/without _bucket/]);
  t.match(check({ name: 'hookstream_retries_scheduled_total_bucket', matchers: [] }), [/unknown metric/]);
  t.match(
    check({ name: 'hookstream_deliveries_total', matchers: [{ label: 'destination_id', op: '=', value: 'x' }] }),
    [/no label/],
  );
  t.match(
    check({
      name: 'hookstream_deliveries_total',
      matchers: [{ label: 'outcome', op: '=~', value: 'delivered|failed' }],
    }),
    [/failed.*never occurs/],
  );
  t.match(check({ name: 'up', matchers: [{ label: 'job', op: '=', value: 'api' }] }), [/not a scrape job/]);
});

t.test('every expression in the alerts and the dashboard resolves', async (t) => {
  const check = checker(await exposed(), scrapeJobs());
  const all = [...alertExprs(), ...dashboardExprs()];
  t.ok(all.length > 30, 'the files have expressions to check');
  for (const { where, expr } of all) {
    t.ok(expr.trim(), `${where} has an expression`);
    const sels = selectors(expr);
    t.ok(sels.length > 0, `${where} reads at least one metric`);
    for (const sel of sels) {
      t.same(check(sel), [], `${where}: ${sel.name}`);
    }
  }
  const onDashboard = new Set(
    dashboardExprs().flatMap(({ expr }) => selectors(expr).map((s) => s.name.replace(/_(bucket|sum|count)$/, ''))),
  );
  for (const name of METRIC_NAMES) t.ok(onDashboard.has(name), `the dashboard shows ${name}`);
});
