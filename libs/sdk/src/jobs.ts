// Long work on the server: bulk replays and exports. Each is created, then polled (`wait`) until done.
import { type Query, type Transport, enc, paginate } from './transport.ts';
import type {
  CreateExportParams,
  CreateReplayParams,
  Export,
  ExportDownload,
  ListParams,
  Page,
  Replay,
  WaitOptions,
} from './types.ts';

const REPLAY_DONE = new Set(['completed', 'cancelled', 'failed']);
const EXPORT_DONE = new Set(['completed', 'failed', 'expired']);

async function poll<T extends { status: string }>(
  get: () => Promise<T>,
  done: Set<string>,
  o: WaitOptions<T>,
): Promise<T> {
  const interval = o.intervalMs ?? 1000;
  for (;;) {
    const state = await get();
    o.onProgress?.(state);
    if (done.has(state.status)) return state;
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, interval);
      function finish() {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', finish);
        resolve();
      }
      o.signal?.addEventListener('abort', finish, { once: true });
    });
  }
}

export class Replays {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** Queues a bulk replay of every event in the window that matches the filters. */
  create(params: CreateReplayParams): Promise<Replay> {
    return this.#t.data<Replay>('POST', '/v1/replays', { body: params });
  }
  list(params?: ListParams): Promise<Page<Replay>> {
    return this.#t.page<Replay>('/v1/replays', params);
  }
  iterate(params?: ListParams): AsyncGenerator<Replay, void, undefined> {
    return paginate<Replay>(params, (q: Query) => this.#t.page<Replay>('/v1/replays', q));
  }
  get(id: string): Promise<Replay> {
    return this.#t.data<Replay>('GET', `/v1/replays/${enc(id)}`);
  }
  /** Stops a queued or running replay; a ConflictError once it has finished. */
  cancel(id: string): Promise<Replay> {
    return this.#t.data<Replay>('DELETE', `/v1/replays/${enc(id)}`);
  }
  /** Polls until the replay completed, was cancelled or failed; resolves with its last state. */
  wait(id: string, options: WaitOptions<Replay> = {}): Promise<Replay> {
    return poll(() => this.get(id), REPLAY_DONE, options);
  }
}

export class Exports {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** Queues an export of events or attempts, as NDJSON or CSV. */
  create(params: CreateExportParams): Promise<Export> {
    return this.#t.data<Export>('POST', '/v1/exports', { body: params });
  }
  list(params?: ListParams): Promise<Page<Export>> {
    return this.#t.page<Export>('/v1/exports', params);
  }
  iterate(params?: ListParams): AsyncGenerator<Export, void, undefined> {
    return paginate<Export>(params, (q: Query) => this.#t.page<Export>('/v1/exports', q));
  }
  get(id: string): Promise<Export> {
    return this.#t.data<Export>('GET', `/v1/exports/${enc(id)}`);
  }
  /** Polls until the export completed, failed or expired; resolves with its last state. */
  wait(id: string, options: WaitOptions<Export> = {}): Promise<Export> {
    return poll(() => this.get(id), EXPORT_DONE, options);
  }
  /**
   * The file as a stream (a NotFoundError with code `not_ready` or `expired` when there is none).
   * In Node: `await pipeline(Readable.fromWeb(d.body), createWriteStream('events.ndjson'))`.
   */
  async download(id: string): Promise<ExportDownload> {
    const res = await this.#t.send('GET', `/v1/exports/${enc(id)}/download`, { headers: { accept: '*/*' } });
    if (!res.body) throw new TypeError('the export download answered without a body');
    const disposition = res.headers.get('content-disposition') ?? '';
    const length = res.headers.get('content-length');
    return {
      body: res.body as ReadableStream<Uint8Array>,
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      filename: /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null,
      // fetch decompresses gzip on the fly: the encoded length is not the length read.
      size: length && !res.headers.get('content-encoding') ? Number(length) : null,
    };
  }
}
