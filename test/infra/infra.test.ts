// infra/ cannot be started here (no Docker engine), so its files are checked against each other and
// against the code: compose services and settings, NATS cluster configs, Prometheus targets, Grafana.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { loadSettings } from '@hookstream/config';

const ROOT = path.resolve(import.meta.dirname, '../..');
const INFRA = path.join(ROOT, 'infra');
const read = (rel: string): string => readFileSync(path.join(INFRA, rel), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = parseYaml(read('compose.yaml'), { merge: true }) as Compose;
const services = compose.services;
const NATS_NODES = ['nats-1', 'nats-2', 'nats-3'];
const EXPECTED_COPIES: Record<string, number> = { api: 2, router: 2, deliverer: 3, projector: 1, jobs: 1 };
const roleServices = Object.entries(services).filter(([, s]) => s.environment?.ROLES);

/** Compose interpolation with nothing set in the environment: `${X:-d}` → d, `${X}` → ''. */
// What an operator must give compose (`${NAME:?message}`): compose refuses to start without it.
const REQUIRED: Record<string, string> = { SECRETS_KEY: randomBytes(32).toString('base64') };

function interpolate(env: Record<string, string>): Record<string, string> {
  const sub = (v: string): string =>
    String(v).replace(
      /\$\{(\w+)(?::?([-?])([^}]*))?\}/g,
      (_m, name: string, op: string | undefined, def: string | undefined) => {
        if (op === '?') return REQUIRED[name] ?? `<${name} unset>`;
        return def ?? '';
      },
    );
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, sub(v)]));
}

const dependsOn = (s: Service): Record<string, string> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v.condition]));

t.test('compose: each role runs as its own services, as many copies as planned', async (t) => {
  const copies: Record<string, number> = {};
  for (const [, s] of roleServices) {
    const roles = (s.environment?.ROLES ?? '').split(',');
    t.equal(roles.length, 1, 'one role per service');
    copies[roles[0] as string] = (copies[roles[0] as string] ?? 0) + 1;
  }
  t.same(copies, EXPECTED_COPIES);
  for (const name of [...NATS_NODES, 'postgres', 'migrate', 'prometheus', 'grafana'])
    t.ok(services[name], `${name} is a service`);
  t.match(services.postgres?.image, /^postgres:16(\.|$|-)/, 'Postgres 16');
});

t.test('compose: every Hookstream container runs the same image with settings the code accepts', async (t) => {
  const app = [...roleServices, ['migrate', services.migrate as Service] as const];
  const images = new Set(app.map(([, s]) => s.image));
  t.equal(images.size, 1, 'one image');
  for (const [name, s] of app) {
    t.equal(s.build?.dockerfile, 'infra/Dockerfile', `${name} builds infra/Dockerfile`);
    t.ok(
      existsSync(path.resolve(INFRA, s.build?.context ?? '', s.build?.dockerfile ?? '')),
      `${name}: the Dockerfile is where the build looks`,
    );
    const env = interpolate(s.environment ?? {});
    t.equal(env.NATS_URL, 'nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222', `${name} knows every NATS node`);
    t.equal(env.STREAM_REPLICAS, '3', `${name} asks for 3 replicas`);
    t.match(env.DATABASE_URL, /^postgres:\/\/[^@]+@postgres:5432\/\w+$/, `${name} reaches the postgres service`);
    // The real settings loader: compose must never hand a container a setting it refuses at start.
    const settings = loadSettings(env);
    t.match(
      s.environment?.SECRETS_KEY,
      /^\$\{SECRETS_KEY:\?/,
      `${name}: compose refuses to start it without SECRETS_KEY`,
    );
    t.equal(settings.secretsKey, REQUIRED.SECRETS_KEY, `${name} seals secrets under the operator's key`);
    t.equal(settings.streamReplicas, 3);
    t.equal(settings.port, 8080, `${name} serves HTTP and /metrics on 8080`);
    t.equal(settings.host, '0.0.0.0', `${name} listens on every interface of its container`);
    if (name !== 'migrate') t.same(settings.roles, [env.ROLES], `${name} runs ${env.ROLES}`);
  }
});

t.test('compose: start order — migrations first, NATS healthy, Postgres healthy', async (t) => {
  const migrate = services.migrate as Service;
  t.same(migrate.command, ['node', 'apps/hookstream/src/main.ts', 'migrate']);
  t.ok(existsSync(path.join(ROOT, 'apps/hookstream/src/main.ts')), 'the command exists');
  t.equal(dependsOn(migrate).postgres, 'service_healthy');
  t.ok(services.postgres?.healthcheck, 'postgres has a health check to wait on');
  for (const [name, s] of roleServices) {
    const deps = dependsOn(s);
    t.equal(deps.migrate, 'service_completed_successfully', `${name} waits for migrate to finish`);
    for (const n of NATS_NODES) t.equal(deps[n], 'service_healthy', `${name} waits for ${n}`);
    t.ok(s.healthcheck?.test.join(' ').includes(':8080/healthz'), `${name} is health-checked on its port`);
  }
  for (const [name, s] of Object.entries(services)) {
    for (const dep of Object.keys(dependsOn(s))) t.ok(services[dep], `${name} depends on an existing service (${dep})`);
  }
});

t.test('compose: mounts, volumes and ports are consistent', async (t) => {
  const hostPorts: string[] = [];
  for (const [name, s] of Object.entries(services)) {
    for (const v of s.volumes ?? []) {
      const [src] = v.split(':') as [string];
      if (src.startsWith('.')) t.ok(existsSync(path.resolve(INFRA, src)), `${name}: ${src} exists`);
      else t.ok(src in compose.volumes, `${name}: volume ${src} is declared`);
    }
    for (const p of s.ports ?? []) hostPorts.push(p.split(':')[0] as string);
  }
  t.equal(new Set(hostPorts).size, hostPorts.length, 'no host port published twice');
  for (const n of NATS_NODES) {
    t.ok(services[n]?.volumes?.includes(`./nats/${n}.conf:/etc/nats/nats.conf:ro`), `${n} runs its own config`);
    t.same(services[n]?.command, ['--config', '/etc/nats/nats.conf']);
    t.ok(services[n]?.environment?.NATS_STORE_DIR, `${n} sets the store the config refers to`);
  }
  t.ok(services.prometheus?.volumes?.includes('./prometheus:/etc/prometheus:ro'));
  t.ok(services.grafana?.volumes?.includes('./grafana/provisioning:/etc/grafana/provisioning:ro'));
});

// A reader for the subset of the NATS config format the files use: key (:|=|space) value, blocks,
// arrays, comments, quoted and bare values.
type NatsValue = string | NatsValue[] | { [k: string]: NatsValue };
function parseNatsConf(text: string): Record<string, NatsValue> {
  const src = text.replace(/^\s*(#|\/\/).*$/gm, '').replace(/\s#.*$/gm, '');
  let i = 0;
  const ws = (): void => {
    while (i < src.length && /[\s,]/.test(src[i] as string)) i++;
  };
  const value = (): NatsValue => {
    ws();
    if (src[i] === '{') return block(true);
    if (src[i] === '[') {
      i++;
      const items: NatsValue[] = [];
      for (ws(); src[i] !== ']'; ws()) items.push(value());
      i++;
      return items;
    }
    if (src[i] === '"') {
      const end = src.indexOf('"', i + 1);
      const s = src.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^[^\s,\]}]+/.exec(src.slice(i));
    if (!m) throw new Error(`no value at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const block = (braced: boolean): Record<string, NatsValue> => {
    const out: Record<string, NatsValue> = {};
    if (braced) i++;
    for (ws(); i < src.length && src[i] !== '}'; ws()) {
      const key = /^[\w-]+/.exec(src.slice(i))?.[0];
      if (!key) throw new Error(`no key at ${JSON.stringify(src.slice(i, i + 20))}`);
      i += key.length;
      while (/[ \t:=]/.test(src[i] as string)) i++;
      if (key in out) throw new Error(`duplicate key ${key}`);
      out[key] = value();
    }
    if (braced) i++;
    return out;
  };
  return block(false);
}

t.test('NATS: three nodes of one JetStream cluster that route to each other', async (t) => {
  t.same(
    parseNatsConf('a: 1\nb { c = "x y" }\nd [ e://f:1, g ] # note'),
    { a: '1', b: { c: 'x y' }, d: ['e://f:1', 'g'] },
    'the reader itself',
  );
  const confs = NATS_NODES.map((n) => parseNatsConf(read(`nats/${n}.conf`)));
  t.same(
    confs.map((c) => c.server_name),
    NATS_NODES,
    'distinct server names, matching the compose hosts',
  );
  const clusterPorts = new Set<string>();
  for (const [idx, c] of confs.entries()) {
    const node = NATS_NODES[idx] as string;
    const cluster = c.cluster as Record<string, NatsValue>;
    t.equal(cluster.name, 'hookstream', `${node} joins the hookstream cluster`);
    const clusterPort = (cluster.listen as string).split(':').pop() as string;
    clusterPorts.add(clusterPort);
    const routes = (cluster.routes as string[]).map((r) => new URL(r));
    t.same(routes.map((r) => r.hostname).sort(), [...NATS_NODES].sort(), `${node} routes to every node`);
    for (const r of routes) {
      t.equal(r.protocol, 'nats-route:');
      t.equal(r.port, clusterPort, `${node}: routes use the cluster port`);
    }
    t.equal((c.listen as string).split(':').pop(), '4222', 'clients on 4222, as NATS_URL says');
    t.equal(c.http_port, '8222', 'monitoring on 8222, as the health check says');
    t.equal(c.max_payload, '8MB');
    const js = c.jetstream as Record<string, NatsValue>;
    t.equal(js.store_dir, '$NATS_STORE_DIR', 'the store comes from the environment compose sets');
    t.ok(services[node]?.healthcheck?.test.join(' ').includes('127.0.0.1:8222/healthz'));
  }
  t.equal(clusterPorts.size, 1);
});

t.test('Prometheus scrapes every Hookstream container, labelled with its role', async (t) => {
  const prom = parseYaml(read('prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: Array<{
      job_name: string;
      metrics_path?: string;
      static_configs: Array<{ targets: string[]; labels?: { role?: string } }>;
    }>;
  };
  const job = prom.scrape_configs.find((s) => s.job_name === 'hookstream');
  t.equal(job?.metrics_path, '/metrics');
  const scraped = new Map<string, string | undefined>();
  for (const group of job?.static_configs ?? [])
    for (const target of group.targets) scraped.set(target, group.labels?.role);
  const expected = new Map(roleServices.map(([name, s]) => [`${name}:8080`, s.environment?.ROLES]));
  t.same(
    [...scraped.entries()].sort(),
    [...expected.entries()].sort(),
    'targets are exactly the role services, with their role',
  );
  t.same(prom.rule_files, ['/etc/prometheus/alerts.yml'], 'alerts.yml is loaded from the mounted folder');
});

t.test('alert rules: the operational alerts exist and are complete', async (t) => {
  const doc = parseYaml(read('prometheus/alerts.yml')) as {
    groups: Array<{
      name: string;
      rules: Array<{
        alert: string;
        expr: string;
        for?: string;
        labels?: { severity?: string };
        annotations?: { summary?: string };
      }>;
    }>;
  };
  const rules = doc.groups.flatMap((g) => g.rules);
  const names = rules.map((r) => r.alert);
  for (const wanted of [
    'HookstreamInstanceDown',
    'HookstreamDeadLettersGrowing',
    'HookstreamConsumerLagGrowing',
    'HookstreamDeliveryFailureRatioHigh',
    'HookstreamProjectionLagHigh',
    'HookstreamHeartbeatsMissed',
  ]) {
    t.ok(names.includes(wanted), `${wanted} is defined`);
  }
  t.equal(new Set(names).size, names.length, 'alert names are unique');
  const docs = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  for (const r of rules) {
    t.match(r.for, /^\d+[smh]$/, `${r.alert} waits before firing`);
    t.match(r.labels?.severity, /^(critical|warning|info)$/, `${r.alert} has a severity`);
    t.ok(r.annotations?.summary, `${r.alert} has a summary`);
    t.ok(docs.includes(r.alert), `${r.alert} is explained in docs/operations.md`);
  }
});

t.test('Grafana: provisioned data source and a well-formed dashboard', async (t) => {
  const ds = parseYaml(read('grafana/provisioning/datasources/prometheus.yaml')) as {
    datasources: Array<{ uid: string; type: string; url: string }>;
  };
  const prom = ds.datasources.find((d) => d.type === 'prometheus');
  t.equal(prom?.url, 'http://prometheus:9090', 'points at the compose Prometheus');
  const provider = parseYaml(read('grafana/provisioning/dashboards/hookstream.yaml')) as {
    providers: Array<{ type: string; options: { path: string } }>;
  };
  const mount = services.grafana?.volumes?.find((v) => v.startsWith('./grafana/dashboards:'));
  t.equal(
    mount?.split(':')[1],
    provider.providers[0]?.options.path,
    'the provider reads where the dashboards are mounted',
  );

  const dash = JSON.parse(read('grafana/dashboards/hookstream.json')) as {
    uid: string;
    title: string;
    panels: Array<{
      id: number;
      type: string;
      title: string;
      gridPos: { x: number; y: number; w: number; h: number };
      datasource?: { uid: string };
      targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>;
    }>;
  };
  t.ok(dash.uid && dash.title);
  const ids = dash.panels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const titles = dash.panels.map((p) => p.title.toLowerCase()).join('\n');
  for (const topic of [
    'ingest',
    'fan-out',
    'delivery',
    'retries',
    'dead letters',
    'consumer pending',
    'projection lag',
    'memory',
  ]) {
    t.ok(titles.includes(topic), `a panel covers ${topic}`);
  }
  for (const p of dash.panels.filter((p) => p.type !== 'row')) {
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the grid`);
    t.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
    t.equal(p.datasource?.uid, prom?.uid, `${p.title} uses the provisioned data source`);
    const refIds = (p.targets ?? []).map((x) => x.refId);
    t.equal(new Set(refIds).size, refIds.length, `${p.title}: distinct refIds`);
  }
});

t.test('Dockerfile: Node 24, full npm ci, the gateway command', async (t) => {
  const df = read('Dockerfile');
  t.match(df, /^FROM node:24-slim\b/m);
  t.match(df, /^RUN npm ci\b/m);
  t.notMatch(df, /^RUN .*--omit=dev/m);
  t.match(df, /^CMD \["node", "apps\/hookstream\/src\/main\.ts"\]$/m);
  t.match(df, /^EXPOSE 8080$/m);
  // HOST defaults to loopback (a laptop run); a container on loopback answers nobody outside it.
  t.match(df, /^\s+HOST=0\.0\.0\.0 \\$/m, 'the image listens on every interface');
});
