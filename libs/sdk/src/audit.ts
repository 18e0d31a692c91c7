// The audit log: who changed what, when and from where. Read-only: entries are written by the server.
import { type Transport, paginate } from './transport.ts';
import type { AuditLogEntry, AuditLogParams, ExportDownload, Page } from './types.ts';

export class AuditLog {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** One page, newest first; pass the previous page's `next_cursor` as `cursor` for the next. */
  list(params?: AuditLogParams): Promise<Page<AuditLogEntry>> {
    return this.#t.page<AuditLogEntry>('/v1/audit-log', params);
  }
  /** Every matching entry across pages. */
  iterate(params?: AuditLogParams): AsyncGenerator<AuditLogEntry, void, undefined> {
    return paginate<AuditLogEntry>(params, (q) => this.#t.page<AuditLogEntry>('/v1/audit-log', q));
  }
  /** Every matching entry as one CSV (formulas neutralised) or NDJSON file, streamed. */
  async download(
    format: 'csv' | 'ndjson',
    params: Omit<AuditLogParams, 'cursor' | 'limit'> = {},
  ): Promise<ExportDownload> {
    const res = await this.#t.send('GET', '/v1/audit-log', {
      query: { ...params, format },
      headers: { accept: '*/*' },
    });
    if (!res.body) throw new TypeError('the audit-log download answered without a body');
    const disposition = res.headers.get('content-disposition') ?? '';
    return {
      body: res.body as ReadableStream<Uint8Array>,
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      filename: /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null,
      size: null,
    };
  }
}
