// Long work: bulk replays and exports — create, follow with progress (--wait), show, cancel, download.
import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Export, Replay } from '@hookstream/sdk';
import { type Ctx, type Group, UsageError, defined } from '../context.ts';
import type { Column, Progress } from '../output.ts';
import { eventFilter } from './events.ts';
import { listed } from './manage.ts';

const date = (v: unknown) => (typeof v === 'string' ? v.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const REPLAY_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'status' },
  { key: 'scanned' },
  { key: 'matched' },
  { key: 'replayed' },
  { key: 'deliveries' },
  { key: 'created_at', title: 'CREATED', format: date },
];
const EXPORT_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'kind' },
  { key: 'format' },
  { key: 'status' },
  { key: 'rows' },
  { key: 'bytes' },
  { key: 'created_at', title: 'CREATED', format: date },
  { key: 'expires_at', title: 'EXPIRES', format: date },
];

/** The filters shared by replays and exports (no paging). */
function jobFilter(ctx: Ctx) {
  const { limit: _l, cursor: _c, idempotency_key: key, customer_id: customer, ...f } = eventFilter(ctx);
  // Replays and exports take a time window and patterns, not one key.
  if (key !== undefined) throw new UsageError('--idempotency-key filters events list only');
  if (customer !== undefined)
    throw new UsageError('--customer filters lists only (give --destination for one of its destinations)');
  return f;
}

async function follow<T extends { status: string }>(
  ctx: Ctx,
  wait: (o: { onProgress: (s: T) => void; signal: AbortSignal; intervalMs: number }) => Promise<T>,
  progress: Progress,
  figures: (s: T) => number,
): Promise<T> {
  const final = await wait({
    onProgress: (s) => progress.update(figures(s), null, s.status),
    signal: ctx.signal,
    intervalMs: ctx.int('interval-ms') ?? 1000,
  });
  progress.finish(final.status);
  return final;
}

const replayProgress = (r: Replay) => r.scanned;
const exportProgress = (e: Export) => e.rows;

export const replays: Group = {
  create: {
    usage:
      '--since ISO --until ISO [--status S] [--source ID] [--destination ID] [--type TYPE|PATTERN] [--direction D] [--wait]',
    summary: 'replay every event of a time window that matches the filters',
    async run(ctx) {
      const f = jobFilter(ctx);
      if (!f.since || !f.until) throw new UsageError('--since and --until are required (ISO 8601 times)');
      let r = await ctx.client.replays.create({ ...f, since: f.since, until: f.until });
      if (ctx.flags.wait)
        r = await follow(
          ctx,
          (o) => ctx.client.replays.wait(r.id, o),
          ctx.out.progress(`replay ${r.id}`),
          replayProgress,
        );
      ctx.out.item(r);
      return r.status === 'failed' ? 1 : 0;
    },
  },
  list: {
    usage: '[--limit N] [--cursor C] [--all]',
    summary: 'bulk replays, newest first',
    run: (ctx) =>
      listed(
        ctx,
        () => ctx.client.replays.list(ctx.listParams()),
        () => ctx.client.replays.iterate(ctx.listParams()),
        REPLAY_COLUMNS,
      ),
  },
  show: {
    usage: '<id> [--wait]',
    summary: 'a replay and its progress (--wait: follow it to the end)',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      const r = ctx.flags.wait
        ? await follow(ctx, (o) => ctx.client.replays.wait(id, o), ctx.out.progress(`replay ${id}`), replayProgress)
        : await ctx.client.replays.get(id);
      ctx.out.item(r);
    },
  },
  cancel: {
    usage: '<id>',
    summary: 'stop a queued or running replay',
    run: async (ctx) => ctx.out.item(await ctx.client.replays.cancel(ctx.arg(0, 'id'))),
  },
};

export const exportsGroup: Group = {
  create: {
    usage: '[--kind events|attempts] [--format ndjson|csv] [filters as for events list] [--wait] [-o FILE]',
    summary: 'export events or attempts; with --wait (or -o) follow it and download',
    async run(ctx) {
      const kind = (ctx.flags.kind ?? 'events') as 'events' | 'attempts';
      const format = (ctx.flags.format ?? 'ndjson') as 'ndjson' | 'csv';
      if (kind !== 'events' && kind !== 'attempts') throw new UsageError('--kind is events or attempts');
      if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format is ndjson or csv');
      const filter = jobFilter(ctx);
      let e = await ctx.client.exports.create(
        defined({ kind, format, filter: Object.keys(filter).length ? filter : undefined }),
      );
      if (ctx.flags.wait || ctx.flags.output)
        e = await follow(
          ctx,
          (o) => ctx.client.exports.wait(e.id, o),
          ctx.out.progress(`export ${e.id}`),
          exportProgress,
        );
      if (ctx.flags.output && e.status === 'completed') {
        await download(ctx, e.id, ctx.flags.output);
        ctx.out.note(`wrote ${e.rows} rows to ${ctx.flags.output}`);
      }
      ctx.out.item(e);
      return e.status === 'failed' || e.status === 'expired' ? 1 : 0;
    },
  },
  list: {
    usage: '[--limit N] [--cursor C] [--all]',
    summary: 'exports, newest first',
    run: (ctx) =>
      listed(
        ctx,
        () => ctx.client.exports.list(ctx.listParams()),
        () => ctx.client.exports.iterate(ctx.listParams()),
        EXPORT_COLUMNS,
      ),
  },
  show: {
    usage: '<id> [--wait]',
    summary: 'an export and its progress',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      const e = ctx.flags.wait
        ? await follow(ctx, (o) => ctx.client.exports.wait(id, o), ctx.out.progress(`export ${id}`), exportProgress)
        : await ctx.client.exports.get(id);
      ctx.out.item(e);
    },
  },
  download: {
    usage: '<id> [-o FILE] [--wait]',
    summary: 'the export file, to FILE or stdout (--wait: until it is ready)',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      if (ctx.flags.wait) {
        const e = await follow(
          ctx,
          (o) => ctx.client.exports.wait(id, o),
          ctx.out.progress(`export ${id}`),
          exportProgress,
        );
        if (e.status !== 'completed') throw new UsageError(`export ${id} ended ${e.status}: nothing to download`);
      }
      await download(ctx, id, ctx.flags.output);
    },
  },
};

/** Streams the file: to a path, or to stdout (never held in memory). */
async function download(ctx: Ctx, id: string, path: string | undefined): Promise<void> {
  const d = await ctx.client.exports.download(id);
  await save(ctx, d.body, path);
}

/** A download to the file at `path`, or to stdout (no path, or '-'). */
export async function save(ctx: Ctx, body: ReadableStream<Uint8Array>, path: string | undefined): Promise<void> {
  const source = Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]);
  if (path && path !== '-') {
    await pipeline(source, createWriteStream(path));
    return;
  }
  // stdout stays open after the copy: wrap it so pipeline does not end it.
  const out = ctx.out.io.stdout;
  const sink = new Writable({
    write(chunk, _enc, cb) {
      if (out.write(chunk)) cb();
      else out.once('drain', () => cb());
    },
  });
  await pipeline(source, sink);
}
