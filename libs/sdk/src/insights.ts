// What the console reads beyond the resources: dead letters, statistics, the payload-filter tester,
// and the live event stream (Server-Sent Events read with fetch, so it works in Node and browsers).
import { type Query, type Transport, paginate } from './transport.ts';
import type {
  DeadLetter,
  DeadLetterListParams,
  EventListParams,
  EventSummary,
  LiveOptions,
  Page,
  PayloadFilterTestParams,
  PayloadFilterTestResult,
  Stats,
  StatsParams,
} from './types.ts';

/** Deliveries that will not be attempted again; replay their events to deliver them anew. */
export class DeadLetters {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** Newest first; `id` is the delivery's id. */
  list(params?: DeadLetterListParams): Promise<Page<DeadLetter>> {
    return this.#t.page<DeadLetter>('/v1/dead-letters', params);
  }
  iterate(params?: DeadLetterListParams): AsyncGenerator<DeadLetter, void, undefined> {
    return paginate<DeadLetter>(params, (q: Query) => this.#t.page<DeadLetter>('/v1/dead-letters', q));
  }
}

/** Counts by status over time, per-destination health and the pipeline's state. */
export class StatsApi {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  get(params: StatsParams = {}): Promise<Stats> {
    return this.#t.data<Stats>('GET', '/v1/stats', { query: params });
  }
}

export class PayloadFilters {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }
  /** Whether the payload matches the filter, as a route would decide; a ValidationError names a bad filter. */
  test(params: PayloadFilterTestParams): Promise<PayloadFilterTestResult> {
    return this.#t.data<PayloadFilterTestResult>('POST', '/v1/payload-filters/test', { body: params });
  }
}

/**
 * The events matching the filters as they appear or change (status, deliveries), each an item of
 * the event list, until `signal` aborts or the loop breaks.
 */
export async function* liveEvents(
  t: Transport,
  params: Omit<EventListParams, 'limit' | 'cursor'> = {},
  opts: LiveOptions = {},
): AsyncGenerator<EventSummary, void, undefined> {
  const res = await t.send('GET', '/v1/events/live', { query: params, headers: { accept: 'text/event-stream' } });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const stop = () => void reader.cancel().catch(() => {});
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop, { once: true });
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (event === 'event' && data.length > 0) yield JSON.parse(data.join('\n')) as EventSummary;
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    stop();
  }
}
