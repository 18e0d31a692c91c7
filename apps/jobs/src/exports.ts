// Exports: rows of the read models for a filter, encoded batch by batch into one object of the
// object store. The source is pulled by the object store's writer one chunk at a time, so at most a
// batch of rows and one chunk are in memory, whatever the number of rows.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ObjectBucket } from '@hookstream/broker';
import type { Catalog } from '@hookstream/catalog';
import type { api } from '@hookstream/contracts';
import type { Logger } from '@hookstream/observability';
import {
  ATTEMPT_EXPORT_COLUMNS,
  EVENT_EXPORT_COLUMNS,
  type ExportFilter,
  type ExportFormat,
  type ExportKind,
  type ExportRecord,
  type Pool,
  createExport,
  exportAttemptRows,
  exportEventRows,
  finishExport,
  getExport,
  listExports,
  recordExportProgress,
  startExport,
} from '@hookstream/store';
import { CONTENT_TYPES, encodeRows, fileHeader } from '@hookstream/domain';

/** How long a finished export's file is kept. */
export const EXPORT_TTL_MS = 24 * 3_600_000;
const BATCH = 1_000;
/** Progress is saved every this many batches. */
const PROGRESS_EVERY = 10;

/** What the API shows of an export: the contract's view, its kind, format, filter and status typed as stored. */
export type ExportView = Omit<api.ExportView, 'kind' | 'format' | 'filter' | 'status'> & {
  kind: ExportKind;
  format: ExportFormat;
  filter: ExportFilter;
  status: ExportRecord['status'];
};

export function exportView(r: ExportRecord): ExportView {
  const { account_id: _a, object_name: _o, ...v } = r;
  return { ...v, download_url: r.status === 'completed' ? `/v1/exports/${r.id}/download` : null };
}

export const objectName = (r: Pick<ExportRecord, 'account_id' | 'id' | 'format'>) =>
  `exports/${r.account_id}/${r.id}.${r.format}`;

export interface ExportDeps {
  pool: Pool;
  bucket: ObjectBucket;
  log: Logger;
  batchSize?: number;
}

/** Writes the export's file; a failure is recorded on the export and rethrown (pg-boss retries it). */
export async function runExport(deps: ExportDeps, id: string): Promise<'completed' | 'skipped'> {
  const rec = await startExport(deps.pool, id);
  if (!rec) return 'skipped';
  const batch = deps.batchSize ?? BATCH;
  const format = rec.format;
  let rows = 0;
  let bytes = 0;
  let batches = 0;
  // One generic pass over either kind of row: the columns fix the order of the fields.
  async function* encoded<R extends object>(
    columns: readonly (keyof R & string)[],
    pages: AsyncIterable<R[]>,
  ): AsyncGenerator<Uint8Array> {
    const header = fileHeader(format, columns);
    if (header) {
      const b = Buffer.from(header, 'utf8');
      bytes += b.length;
      yield b;
    }
    for await (const page of pages) {
      const b = Buffer.from(encodeRows(format, columns, page), 'utf8');
      rows += page.length;
      bytes += b.length;
      yield b;
      if (++batches % PROGRESS_EVERY === 0) await recordExportProgress(deps.pool, id, rows, bytes);
    }
  }
  const source =
    rec.kind === 'events'
      ? encoded(EVENT_EXPORT_COLUMNS, exportEventRows(deps.pool, rec.account_id, rec.filter, batch))
      : encoded(ATTEMPT_EXPORT_COLUMNS, exportAttemptRows(deps.pool, rec.account_id, rec.filter, batch));
  const name = objectName(rec);
  const stored = await deps.bucket.put(name, source, { contentType: CONTENT_TYPES[rec.format] });
  await finishExport(deps.pool, id, {
    status: 'completed',
    rows,
    bytes: stored.size,
    object_name: name,
    ttlMs: EXPORT_TTL_MS,
  });
  deps.log.info({ export_id: id, rows, bytes: stored.size }, 'export completed');
  return 'completed';
}

export async function failExport(pool: Pool, id: string, error: string): Promise<void> {
  await finishExport(pool, id, { status: 'failed', rows: 0, bytes: 0, object_name: null, ttlMs: EXPORT_TTL_MS, error });
}

export function checkExportFilter(catalog: Catalog, accountId: string, f: ExportFilter): string | null {
  for (const k of ['since', 'until'] as const) {
    const v = f[k];
    if (v !== undefined && Number.isNaN(Date.parse(v))) return `filter.${k}: not an ISO 8601 time`;
  }
  if (f.since !== undefined && f.until !== undefined && Date.parse(f.until) <= Date.parse(f.since))
    return 'filter.until must be after filter.since';
  if (f.destination_id !== undefined) {
    const d = catalog.view.destinations.get(f.destination_id);
    // A deleted destination's attempts may still be exported; another account's never match anyway.
    if (d && d.account_id !== accountId) return 'filter.destination_id: no such destination in this account';
  }
  return null;
}

export interface DownloadResult {
  contentType: string;
  filename: string;
  size: number;
  body: Readable;
}

/** The API's port: records an export and queues its job; serves finished files. */
export function exportPort(deps: {
  pool: Pool;
  catalog: Catalog;
  bucket: () => ObjectBucket;
  enqueue: (id: string) => Promise<void>;
}) {
  return {
    async create(
      accountId: string,
      input: { kind: ExportKind; format: ExportFormat; filter?: ExportFilter | undefined },
    ): Promise<{ ok: true; export: ExportView } | { ok: false; error: string }> {
      const filter = Object.fromEntries(
        Object.entries(input.filter ?? {}).filter(([, v]) => v !== undefined),
      ) as ExportFilter;
      const problem = checkExportFilter(deps.catalog, accountId, filter);
      if (problem) return { ok: false, error: problem };
      const rec = await createExport(deps.pool, {
        id: randomUUID(),
        account_id: accountId,
        kind: input.kind,
        format: input.format,
        filter,
      });
      try {
        await deps.enqueue(rec.id);
      } catch (err) {
        await failExport(deps.pool, rec.id, 'could not be queued').catch(() => {});
        throw err;
      }
      return { ok: true, export: exportView(rec) };
    },
    async get(accountId: string, id: string) {
      const r = await getExport(deps.pool, accountId, id);
      return r ? exportView(r) : null;
    },
    async list(accountId: string, q: { limit: number; cursor?: string }) {
      const r = await listExports(deps.pool, accountId, q.limit, q.cursor);
      return { items: r.items.map(exportView), next_cursor: r.next_cursor };
    },
    async download(accountId: string, id: string): Promise<DownloadResult | 'not_found' | 'not_ready' | 'expired'> {
      const r = await getExport(deps.pool, accountId, id);
      if (!r) return 'not_found';
      if (r.status === 'expired') return 'expired';
      if (r.status !== 'completed' || !r.object_name) return 'not_ready';
      const obj = await deps.bucket().get(r.object_name);
      if (!obj) return 'expired';
      const body = Readable.fromWeb(obj.data);
      // The object store reports a broken read (a missing chunk) here, not on the stream.
      void obj.error.then((err) => {
        if (err) body.destroy(err);
      });
      return { contentType: CONTENT_TYPES[r.format], filename: `${r.kind}-${r.id}.${r.format}`, size: obj.size, body };
    },
  };
}
