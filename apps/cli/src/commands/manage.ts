// Accounts, keys, sources, destinations, routes and event types: create, list, show, update, delete.
import type { CreateSourceParams, Page, UpdateSourceParams } from '@hookstream/sdk';
import { type Ctx, type Group, UsageError, defined, roleFlag } from '../context.ts';
import { type Column, type Row, cell, table } from '../output.ts';

/** One page, or with --all every page. */
export async function listed<T>(
  ctx: Ctx,
  page: () => Promise<Page<T>>,
  iterate: () => AsyncIterable<T>,
  columns: Column[],
): Promise<void> {
  let result: Page<T>;
  if (ctx.flags.all) {
    const data: T[] = [];
    for await (const x of iterate()) data.push(x);
    result = { data, next_cursor: null };
  } else result = await page();
  ctx.out.list(result as Page<Row>, columns);
}

const date = (v: unknown) => (typeof v === 'string' ? v.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

const ACCOUNT = ['id', 'name', 'plan', 'retention_days', 'created_at'];
const KEY_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'name' },
  { key: 'prefix' },
  { key: 'role' },
  { key: 'created_at', title: 'CREATED', format: date },
  { key: 'revoked_at', title: 'REVOKED', format: date },
];
const SOURCE_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'name', max: 30 },
  { key: 'auth_mode', title: 'AUTH' },
  { key: 'active' },
  { key: 'ingest_url', max: 80 },
];
const DEST_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'name', max: 30 },
  { key: 'url', max: 60 },
  { key: 'active' },
  {
    key: 'retry_policy',
    title: 'ATTEMPTS',
    format: (v) => String((v as { max_attempts?: number })?.max_attempts ?? '-'),
  },
  { key: 'signature_scheme', title: 'SIGNING' },
  { key: 'customer_id', title: 'CUSTOMER', max: 30 },
];
const ROUTE_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'source_id', title: 'SOURCE', format: (v) => (v === null ? '* (any)' : cell(v)) },
  { key: 'destination_id', title: 'DESTINATION' },
  { key: 'event_type_pattern', title: 'PATTERN' },
  { key: 'active' },
  { key: 'customer_id', title: 'CUSTOMER', max: 30 },
];
const TYPE_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'name' },
  { key: 'description', max: 50 },
  { key: 'schema', format: (v) => (v ? 'yes' : 'no') },
];

export const accounts: Group = {
  create: {
    usage: '<name> [--signup-token T] [--plan free|pro|enterprise --retention-days N --operator-token T]',
    summary: 'create an account; prints its first API key, once (a plan needs the operator token)',
    async run(ctx) {
      const plan = ctx.flags.plan as 'free' | 'pro' | 'enterprise' | undefined;
      const created = await ctx.anonymous.accounts.create(
        defined({ name: ctx.arg(0, 'name'), plan, retention_days: ctx.int('retention-days') }),
        defined({ signupToken: ctx.flags['signup-token'], operatorToken: ctx.operatorToken }),
      );
      if (ctx.out.json) return ctx.out.printJson(created);
      ctx.out.item(created.account, ACCOUNT);
      ctx.out.write(`api_key         ${created.api_key}\n`);
      ctx.out.note('Keep the API key now: it is not shown again. export HOOKSTREAM_API_KEY=… to use it.');
    },
  },
};

export const account: Group = {
  show: {
    usage: '',
    summary: 'the account of the API key',
    run: async (ctx) => ctx.out.item(await ctx.client.account.get(), ACCOUNT),
  },
  update: {
    usage: '[--name N] [--plan P --retention-days N --operator-token T]',
    summary: 'rename the account, or (with the operator token) change its plan',
    async run(ctx) {
      const plan = ctx.flags.plan as 'free' | 'pro' | 'enterprise' | undefined;
      const params = defined({ name: ctx.flags.name, plan, retention_days: ctx.int('retention-days') });
      ctx.out.item(await ctx.client.account.update(params, defined({ operatorToken: ctx.operatorToken })), ACCOUNT);
    },
  },
};

export const keys: Group = {
  create: {
    usage: '[--name N] [--role owner|admin|developer|viewer]',
    summary: 'a new API key, shown once (default role admin; a viewer key only reads)',
    async run(ctx) {
      const k = await ctx.client.apiKeys.create(defined({ name: ctx.flags.name, role: roleFlag(ctx, false) }));
      ctx.out.item(k, ['id', 'name', 'prefix', 'role', 'created_at', 'key']);
      ctx.out.note('Keep the key now: it is not shown again.');
    },
  },
  list: {
    usage: '[--limit N] [--cursor C] [--all]',
    summary: 'API keys (prefixes only)',
    run: (ctx) =>
      listed(
        ctx,
        () => ctx.client.apiKeys.list(ctx.listParams()),
        () => ctx.client.apiKeys.iterate(ctx.listParams()),
        KEY_COLUMNS,
      ),
  },
  revoke: {
    usage: '<id>',
    summary: 'revoke a key: it stops working at once',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.apiKeys.revoke(id);
      ctx.out.done(`revoked ${id}`, { id, revoked: true });
    },
  },
};

function verification(ctx: Ctx): CreateSourceParams['verification_config'] {
  const provider = ctx.flags.provider as NonNullable<CreateSourceParams['verification_config']>['provider'] | undefined;
  if (!provider) {
    if (ctx.flags.secret) throw new UsageError('--secret needs --provider');
    return undefined;
  }
  if (!ctx.flags.secret) throw new UsageError('--provider needs --secret');
  return defined({ provider, secret: ctx.flags.secret, header: ctx.flags['signature-header'] });
}

export const sources: Group = {
  create: {
    usage:
      '<name> [--provider stripe|github|shopify|standard_webhooks|hmac --secret S [--signature-header H]] [--inactive]',
    summary: 'a source: providers post to its ingest_url',
    async run(ctx) {
      const s = await ctx.client.sources.create(
        defined({ name: ctx.arg(0, 'name'), verification_config: verification(ctx), active: ctx.activeFlag() }),
      );
      ctx.out.item(s);
    },
  },
  list: {
    usage: '[--limit N] [--cursor C] [--all]',
    summary: 'sources',
    run: (ctx) =>
      listed(
        ctx,
        () => ctx.client.sources.list(ctx.listParams()),
        () => ctx.client.sources.iterate(ctx.listParams()),
        SOURCE_COLUMNS,
      ),
  },
  show: {
    usage: '<id>',
    summary: 'one source',
    run: async (ctx) => ctx.out.item(await ctx.client.sources.get(ctx.arg(0, 'id'))),
  },
  update: {
    usage: '<id> [--name N] [--active|--inactive] [--provider P --secret S]',
    summary: 'change a source',
    async run(ctx) {
      const body: UpdateSourceParams = defined({
        name: ctx.flags.name,
        active: ctx.activeFlag(),
        verification_config: verification(ctx),
      });
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change');
      ctx.out.item(await ctx.client.sources.update(ctx.arg(0, 'id'), body));
    },
  },
  delete: {
    usage: '<id>',
    summary: 'delete a source and its routes',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.sources.delete(id);
      ctx.out.done(`deleted ${id}`, { id, deleted: true });
    },
  },
};

function destinationFields(ctx: Ctx) {
  const maxAttempts = ctx.int('max-attempts');
  const backoff = ctx.flags.backoff as 'exponential' | 'two_phase' | undefined;
  return defined({
    headers: ctx.pairs('header'),
    auth_token: ctx.flags['auth-token'],
    signing_secret: ctx.flags['signing-secret'],
    signature_scheme: ctx.flags.scheme as 'standard_webhooks' | 'stripe' | 'github' | 'hmac' | undefined,
    timeout_ms: ctx.int('timeout-ms'),
    retry_policy: maxAttempts !== undefined ? defined({ max_attempts: maxAttempts, backoff }) : undefined,
    rate_limit_per_s: ctx.int('rate-limit'),
    active: ctx.activeFlag(),
    // An empty --customer "" takes the destination away from its customer.
    customer_id: ctx.flags.customer === undefined ? undefined : ctx.flags.customer || null,
  });
}

export const destinations: Group = {
  create: {
    usage:
      '<name> <url> [--header k=v]… [--auth-token T] [--signing-secret S] [--scheme S] [--timeout-ms N] [--max-attempts N [--backoff exponential|two_phase]] [--rate-limit N] [--customer ID]',
    summary: 'a destination; prints its generated signing secret, once',
    async run(ctx) {
      const d = await ctx.client.destinations.create({
        name: ctx.arg(0, 'name'),
        url: ctx.arg(1, 'url'),
        ...destinationFields(ctx),
      });
      ctx.out.item(d);
      if (d.signing_secret) ctx.out.note('Keep the signing secret now: it is not shown again.');
    },
  },
  list: {
    usage: '[--customer ID] [--limit N] [--cursor C] [--all]',
    summary: 'destinations',
    async run(ctx) {
      const params = { ...ctx.listParams(), ...defined({ customer_id: ctx.flags.customer }) };
      await listed(
        ctx,
        () => ctx.client.destinations.list(params),
        () => ctx.client.destinations.iterate(params),
        DEST_COLUMNS,
      );
    },
  },
  show: {
    usage: '<id>',
    summary: 'one destination',
    run: async (ctx) => ctx.out.item(await ctx.client.destinations.get(ctx.arg(0, 'id'))),
  },
  update: {
    usage: '<id> [--name N] [--dest-url U] [--active|--inactive] [same flags as create]',
    summary: 'change a destination',
    async run(ctx) {
      const body = { ...defined({ name: ctx.flags.name, url: ctx.flags['dest-url'] }), ...destinationFields(ctx) };
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change');
      ctx.out.item(await ctx.client.destinations.update(ctx.arg(0, 'id'), body));
    },
  },
  delete: {
    usage: '<id>',
    summary: 'delete a destination and its routes',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.destinations.delete(id);
      ctx.out.done(`deleted ${id}`, { id, deleted: true });
    },
  },
  'rotate-secret': {
    usage: '<id> [--overlap-s N] [--signing-secret S]',
    summary: 'a new signing secret; the old one stays valid for the overlap',
    async run(ctx) {
      ctx.out.item(
        await ctx.client.destinations.rotateSecret(
          ctx.arg(0, 'id'),
          defined({ overlap_s: ctx.int('overlap-s'), secret: ctx.flags['signing-secret'] }),
        ),
      );
    },
  },
  test: {
    usage: '<id> [--type T] [--payload JSON]',
    summary: 'send one test event to this destination only',
    async run(ctx) {
      const payload = ctx.json('payload');
      if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload)))
        throw new UsageError('--payload must be a JSON object');
      ctx.out.item(
        await ctx.client.destinations.sendTestEvent(
          ctx.arg(0, 'id'),
          defined({ event_type: ctx.flags.type, payload: payload as Record<string, unknown> | undefined }),
        ),
      );
    },
  },
  stats: {
    usage: '<id> [--range 1h|24h|7d]',
    summary: 'success rate, latency, backlog, circuit and latest failures',
    async run(ctx) {
      const s = await ctx.client.destinations.stats(ctx.arg(0, 'id'), defined({ range: statsRange(ctx) }));
      if (ctx.out.json) return ctx.out.printJson(s);
      const { series: _s, recent_failures: failures, ...head } = s;
      ctx.out.item(head);
      ctx.out.write(`\nrecent failures (${failures.length})\n`);
      if (failures.length > 0) {
        ctx.out.write(
          table(failures, [
            { key: 'at' },
            { key: 'event_id', title: 'EVENT' },
            { key: 'status_code', title: 'HTTP' },
            { key: 'error', max: 60 },
          ]),
        );
      }
    },
  },
};

const RANGES = ['1h', '24h', '7d'] as const;

export function statsRange(ctx: Ctx): (typeof RANGES)[number] | undefined {
  const r = ctx.flags.range;
  if (r !== undefined && !(RANGES as readonly string[]).includes(r))
    throw new UsageError(`--range is one of ${RANGES.join(', ')}`);
  return r as (typeof RANGES)[number] | undefined;
}

export const stats: Group = {
  show: {
    usage: '[--range 1h|24h|7d]',
    summary: 'totals by status and per-destination health over the range',
    async run(ctx) {
      const s = await ctx.client.stats.get(defined({ range: statsRange(ctx) }));
      if (ctx.out.json) return ctx.out.printJson(s);
      ctx.out.item({
        range: s.range,
        from: s.from,
        to: s.to,
        ...s.totals,
        ready: s.pipeline.ready,
        projection_lag_ms: s.pipeline.projection_lag_ms,
      });
      ctx.out.write('\n');
      ctx.out.write(
        table(s.destinations, [
          { key: 'name', max: 30 },
          { key: 'destination_id', title: 'ID' },
          { key: 'attempts' },
          {
            key: 'success_rate',
            title: 'SUCCESS',
            format: (v) => (typeof v === 'number' ? `${Math.round(v * 1000) / 10}%` : '-'),
          },
          { key: 'p95_ms', title: 'P95 MS' },
          { key: 'pending' },
          { key: 'circuit' },
          { key: 'last_error', max: 40 },
        ]),
      );
    },
  },
};

export const routes: Group = {
  create: {
    usage: '--destination ID [--source ID] [--pattern "order.*"] [--label k=v]… [--inactive]',
    summary: 'send matching events to a destination (no --source: every source and outbound event)',
    async run(ctx) {
      if (!ctx.flags.destination) throw new UsageError('--destination is required');
      const r = await ctx.client.routes.create(
        defined({
          destination_id: ctx.flags.destination,
          source_id: ctx.flags.source ?? null,
          event_type_pattern: ctx.flags.pattern,
          labels: ctx.pairs('label'),
          active: ctx.activeFlag(),
        }),
      );
      ctx.out.item(r);
    },
  },
  list: {
    usage: '[--source ID] [--destination ID] [--customer ID] [--limit N] [--cursor C] [--all]',
    summary: 'routes',
    async run(ctx) {
      const params = {
        ...ctx.listParams(),
        ...defined({
          source_id: ctx.flags.source,
          destination_id: ctx.flags.destination,
          customer_id: ctx.flags.customer,
        }),
      };
      await listed(
        ctx,
        () => ctx.client.routes.list(params),
        () => ctx.client.routes.iterate(params),
        ROUTE_COLUMNS,
      );
    },
  },
  show: {
    usage: '<id>',
    summary: 'one route',
    run: async (ctx) => ctx.out.item(await ctx.client.routes.get(ctx.arg(0, 'id'))),
  },
  update: {
    usage: '<id> [--destination ID] [--source ID] [--pattern P] [--label k=v]… [--active|--inactive]',
    summary: 'change a route',
    async run(ctx) {
      const body = defined({
        destination_id: ctx.flags.destination,
        source_id: ctx.flags.source,
        event_type_pattern: ctx.flags.pattern,
        labels: ctx.pairs('label'),
        active: ctx.activeFlag(),
      });
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change');
      ctx.out.item(await ctx.client.routes.update(ctx.arg(0, 'id'), body));
    },
  },
  delete: {
    usage: '<id>',
    summary: 'delete a route',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.routes.delete(id);
      ctx.out.done(`deleted ${id}`, { id, deleted: true });
    },
  },
};

export const eventTypes: Group = {
  create: {
    usage: '<name> [--description D] [--schema JSON]',
    summary: 'declare an outbound event type, optionally with a payload JSON Schema',
    async run(ctx) {
      const schema = ctx.json('schema') as Record<string, unknown> | undefined;
      ctx.out.item(
        await ctx.client.eventTypes.create(
          defined({ name: ctx.arg(0, 'name'), description: ctx.flags.description, schema }),
        ),
      );
    },
  },
  list: {
    usage: '[--limit N] [--cursor C] [--all]',
    summary: 'event types',
    run: (ctx) =>
      listed(
        ctx,
        () => ctx.client.eventTypes.list(ctx.listParams()),
        () => ctx.client.eventTypes.iterate(ctx.listParams()),
        TYPE_COLUMNS,
      ),
  },
  show: {
    usage: '<id>',
    summary: 'one event type',
    run: async (ctx) => ctx.out.item(await ctx.client.eventTypes.get(ctx.arg(0, 'id'))),
  },
  delete: {
    usage: '<id>',
    summary: 'delete an event type',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.eventTypes.delete(id);
      ctx.out.done(`deleted ${id}`, { id, deleted: true });
    },
  },
};
