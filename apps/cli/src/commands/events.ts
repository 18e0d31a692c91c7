// The event log: list, show with deliveries and attempts, replay, tail; outbound publish; dead letters.
import type { EventDetail, EventListParams, EventSummary } from '@hookstream/sdk';
import { type Ctx, type Group, UsageError, defined } from '../context.ts';
import { type Column, type Row, cell, table } from '../output.ts';
import { listed } from './manage.ts';

const STATUSES = ['received', 'queued', 'delivering', 'retry_scheduled', 'delivered', 'dead_letter', 'unrouted'];

export const EVENT_COLUMNS: Column[] = [
  { key: 'received_at', title: 'RECEIVED' },
  { key: 'id' },
  { key: 'direction', title: 'DIR' },
  { key: 'event_type', title: 'TYPE', max: 40 },
  { key: 'status' },
  { key: 'delivery_count', title: 'DELIVERIES' },
];

export function eventFilter(ctx: Ctx): EventListParams {
  const status = ctx.flags.status;
  if (status !== undefined && !STATUSES.includes(status))
    throw new UsageError(`--status is one of ${STATUSES.join(', ')}`);
  const direction = ctx.flags.direction;
  if (direction !== undefined && direction !== 'inbound' && direction !== 'outbound')
    throw new UsageError('--direction is inbound or outbound');
  return defined({
    ...ctx.listParams(),
    status,
    direction,
    source_id: ctx.flags.source,
    destination_id: ctx.flags.destination,
    event_type: ctx.flags.type,
    since: ctx.flags.since,
    until: ctx.flags.until,
    idempotency_key: ctx.flags['idempotency-key'],
    customer_id: ctx.flags.customer,
  });
}

function showEvent(ctx: Ctx, e: EventDetail): void {
  if (ctx.out.json) return ctx.out.printJson(e);
  const { deliveries, headers, body, body_base64: b64, ...head } = e;
  ctx.out.item(head);
  ctx.out.write(
    `\nheaders\n${
      Object.entries(headers)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n') || '  (none)'
    }\n`,
  );
  const shown = body ?? (b64 !== undefined ? `(binary, ${Buffer.from(b64, 'base64').length} bytes)` : '');
  ctx.out.write(`\nbody\n  ${shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown}\n`);
  ctx.out.write(`\ndeliveries (${deliveries.length})\n`);
  for (const d of deliveries) {
    const replay = d.replay_id ? `  replay ${d.replay_id}` : '';
    ctx.out.write(`\n  ${d.id} → ${d.destination_id}  ${d.status}  ${d.attempt_count} attempt(s)${replay}\n`);
    if (d.next_attempt_at) ctx.out.write(`  next attempt at ${d.next_attempt_at}\n`);
    if (d.attempts.length > 0) {
      const rows = d.attempts.map((a) => ({ ...a, error: a.error ?? a.error_class })) as Row[];
      const t = table(rows, [
        { key: 'n', title: '#' },
        { key: 'started_at', title: 'STARTED' },
        { key: 'duration_ms', title: 'MS', format: (v) => (typeof v === 'number' ? String(Math.round(v)) : '-') },
        { key: 'status_code', title: 'HTTP' },
        { key: 'outcome' },
        { key: 'error', max: 60 },
      ]);
      ctx.out.write(t.replace(/^/gm, '    '));
    }
  }
}

export const events: Group = {
  list: {
    usage:
      '[--status S] [--direction inbound|outbound] [--source ID] [--destination ID] [--customer ID] [--type TYPE|PATTERN] [--since ISO] [--until ISO] [--idempotency-key KEY] [--limit N] [--all]',
    summary: 'events, newest first',
    async run(ctx) {
      const f = eventFilter(ctx);
      await listed(
        ctx,
        () => ctx.client.events.list(f),
        () => ctx.client.events.iterate(f),
        EVENT_COLUMNS,
      );
    },
  },
  show: {
    usage: '<id>',
    summary: 'one event with its headers, body, deliveries and attempts',
    run: async (ctx) => showEvent(ctx, await ctx.client.events.get(ctx.arg(0, 'id'))),
  },
  replay: {
    usage: '<id> [--destination ID]',
    summary: 'deliver an event again, as new deliveries',
    async run(ctx) {
      const r = await ctx.client.events.replay(ctx.arg(0, 'id'), defined({ destination_id: ctx.flags.destination }));
      if (ctx.out.json) return ctx.out.printJson(r);
      ctx.out.write(`replay ${r.replay_id} of ${r.event_id}\n`);
      ctx.out.write(
        table(r.deliveries, [
          { key: 'id', title: 'DELIVERY' },
          { key: 'destination_id', title: 'DESTINATION' },
        ]),
      );
    },
  },
  tail: {
    usage: '[filters as for list] [--interval-ms 1000] [--count N]',
    summary: 'print new events as they arrive (Ctrl-C to stop)',
    async run(ctx) {
      await tail(ctx, eventFilter(ctx), ctx.int('interval-ms') ?? 1000, ctx.int('count'));
    },
  },
};

async function tail(ctx: Ctx, filter: EventListParams, intervalMs: number, count: number | undefined): Promise<void> {
  const { cursor: _c, ...f } = filter;
  const seen = new Set<string>();
  const remember = (id: string) => {
    seen.add(id);
    // Bounded memory on a long tail: the oldest ids cannot reappear on the newest page anyway.
    if (seen.size > 20_000) for (const old of [...seen].slice(0, 10_000)) seen.delete(old);
  };
  let printed = 0;
  let first = true;
  if (!ctx.out.json) ctx.out.write(table([], EVENT_COLUMNS));
  while (!ctx.signal.aborted) {
    const page = await ctx.client.events.list({ ...f, limit: 100 });
    // Oldest first, so that the lines read in arrival order; the first poll only marks what exists.
    const fresh = page.data.filter((e) => !seen.has(e.id)).reverse();
    for (const e of fresh) {
      remember(e.id);
      if (first) continue;
      printEventLine(ctx, e);
      if (count !== undefined && ++printed >= count) return;
    }
    if (first) ctx.out.note(`watching for new events every ${intervalMs} ms…`);
    first = false;
    await sleep(intervalMs, ctx.signal);
  }
}

function printEventLine(ctx: Ctx, e: EventSummary): void {
  if (ctx.out.json) return ctx.out.write(`${JSON.stringify(e)}\n`);
  ctx.out.write(
    `${EVENT_COLUMNS.map((c) => (c.format ? c.format(e[c.key as keyof EventSummary], e as Row) : cell(e[c.key as keyof EventSummary]))).join('  ')}\n`,
  );
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export const outbound: Group = {
  publish: {
    usage: '<event-type> --payload JSON [--event-id ID] [--label k=v]… [--customer ID]',
    summary: "publish an event to every subscribed destination (with --customer: that customer's only)",
    async run(ctx) {
      const payload = ctx.json('payload');
      if (payload === undefined) throw new UsageError('--payload is required');
      const r = await ctx.client.outboundEvents.publish(
        defined({
          event_type: ctx.arg(0, 'event-type'),
          payload,
          event_id: ctx.flags['event-id'],
          labels: ctx.pairs('label'),
          customer_id: ctx.flags.customer,
        }),
      );
      ctx.out.item(r);
    },
  },
  list: {
    usage:
      '[--status S] [--type TYPE|PATTERN] [--customer ID] [--since ISO] [--until ISO] [--idempotency-key KEY] [--limit N] [--all]',
    summary: 'outbound events, newest first',
    async run(ctx) {
      const { direction: _d, source_id: _s, ...f } = eventFilter(ctx);
      await listed(
        ctx,
        () => ctx.client.outboundEvents.list(f),
        () => ctx.client.outboundEvents.iterate(f),
        EVENT_COLUMNS,
      );
    },
  },
  show: {
    usage: '<id>',
    summary: 'one outbound event with deliveries and attempts',
    run: async (ctx) => showEvent(ctx, await ctx.client.outboundEvents.get(ctx.arg(0, 'id'))),
  },
  replay: {
    usage: '<id> [--destination ID]',
    summary: 'deliver an outbound event again',
    async run(ctx) {
      ctx.out.item(
        await ctx.client.outboundEvents.replay(ctx.arg(0, 'id'), defined({ destination_id: ctx.flags.destination })),
      );
    },
  },
};

export const deadLetters: Group = {
  list: {
    usage:
      '[--source ID] [--destination ID] [--customer ID] [--type TYPE|PATTERN] [--since ISO] [--until ISO] [--limit N] [--all]',
    summary: 'events whose delivery gave up (status dead_letter)',
    async run(ctx) {
      const f = { ...eventFilter(ctx), status: 'dead_letter' as const };
      await listed(
        ctx,
        () => ctx.client.events.list(f),
        () => ctx.client.events.iterate(f),
        EVENT_COLUMNS,
      );
    },
  },
  redrive: {
    usage: '<id>… | --all [filters as for list] [--destination ID]',
    summary: 'replay dead-lettered events (new deliveries)',
    async run(ctx) {
      let ids = ctx.args;
      if (ctx.flags.all) {
        if (ids.length > 0) throw new UsageError('give ids or --all, not both');
        const { cursor: _c, ...f } = { ...eventFilter(ctx), status: 'dead_letter' as const };
        ids = [];
        for await (const e of ctx.client.events.iterate(f)) ids.push(e.id);
      } else if (ids.length === 0) throw new UsageError('give the ids to redrive, or --all');
      const progress = ctx.out.progress('redrive');
      const results: Row[] = [];
      for (const [i, id] of ids.entries()) {
        if (ctx.signal.aborted) break;
        try {
          const r = await ctx.client.events.replay(id, defined({ destination_id: ctx.flags.destination }));
          results.push({ event_id: id, replay_id: r.replay_id, deliveries: r.deliveries.length, error: null });
        } catch (err) {
          results.push({ event_id: id, replay_id: null, deliveries: 0, error: (err as Error).message });
        }
        progress.update(i + 1, ids.length, 'replaying');
      }
      const failed = results.filter((r) => r.error).length;
      progress.finish(`${results.length - failed} replayed, ${failed} failed`);
      if (ctx.out.json) ctx.out.printJson({ data: results });
      else if (results.length > 0)
        ctx.out.write(
          table(results, [
            { key: 'event_id', title: 'EVENT' },
            { key: 'replay_id', title: 'REPLAY' },
            { key: 'deliveries' },
            { key: 'error', max: 60 },
          ]),
        );
      return failed > 0 ? 1 : 0;
    },
  },
};
