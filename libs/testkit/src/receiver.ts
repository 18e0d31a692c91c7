// A recording webhook receiver: a real HTTP server on loopback whose answers a test scripts.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { waitFor } from './wait.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  receivedAt: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** 'hang' holds the connection open, unanswered, until the receiver closes. */
export type Responder = (req: RecordedRequest, index: number) => Reply | 'hang' | Promise<Reply | 'hang'>;

export interface Receiver {
  url: string;
  requests: RecordedRequest[];
  respond(fn: Responder): void;
  /** Resolves with the requests so far once at least `n` arrived; default timeout 10 s. */
  waitForCount(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

const DEFAULT_REPLY: Reply = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body ?? '');
}

/** Starts a receiver on 127.0.0.1 with a free port; it records every request and closes at teardown. */
export async function startReceiver(t: Test): Promise<Receiver> {
  const requests: RecordedRequest[] = [];
  let responder: Responder = () => DEFAULT_REPLY;
  const server = createServer((req, res) => {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: Buffer.concat(chunks),
        receivedAt,
      };
      const index = requests.push(recorded) - 1;
      Promise.resolve()
        .then(() => responder(recorded, index))
        .then(
          (reply) => {
            if (reply !== 'hang') send(res, reply);
          },
          (err: unknown) => send(res, { status: 500, body: `receiver responder threw: ${String(err)}` }),
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Hung and keep-alive connections would otherwise hold close() open.
      server.closeAllConnections();
    }));
  t.teardown(close);

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(fn) {
      responder = fn;
    },
    async waitForCount(n, timeoutMs = 10_000) {
      try {
        await waitFor(() => requests.length >= n, { timeoutMs });
      } catch {
        throw new Error(`receiver got ${requests.length} of ${n} requests within ${timeoutMs} ms`);
      }
      return [...requests];
    },
    close,
  };
}
