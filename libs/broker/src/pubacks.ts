// JetStream publishes and their acknowledgements, through one reply subscription per connection.
//
// The client's js.publish() is a request: per publish it builds a request object, a timer and two
// promises, and once the PubAck has resolved the request its cleanup rejects the settled promise
// with a new RequestError, stack trace included. Here a publish is a plain publish with a reply
// subject under this connection's own prefix, the PubAck settles the waiting promise found by its
// token, and one timer sweeps out the publishes whose acknowledgement is overdue.
import { type Msg, type MsgHdrs, type NatsConnection, createInbox } from '@nats-io/transport-node';

export interface Stored {
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** The stream refused the message (the server's JetStream API error). */
export class PublishRefused extends Error {
  readonly code: number;
  readonly errCode: number;
  constructor(description: string, code: number, errCode: number) {
    super(description);
    this.name = 'PublishRefused';
    this.code = code;
    this.errCode = errCode;
  }
}

/** No stream takes the subject (the server answered "no responders"). */
export class NoStream extends Error {
  constructor(subject: string) {
    super(`no stream stores ${subject}`);
    this.name = 'NoStream';
  }
}

/** No PubAck within the timeout: the message may or may not be stored. */
export class PublishTimeout extends Error {
  constructor(subject: string, timeoutMs: number) {
    super(`no acknowledgement for ${subject} within ${timeoutMs} ms`);
    this.name = 'PublishTimeout';
  }
}

interface Waiter {
  subject: string;
  deadline: number;
  timeoutMs: number;
  resolve(stored: Stored): void;
  reject(err: Error): void;
}

interface PubAckBody {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

const dec = new TextDecoder();

/** How often overdue publishes are looked for: a timeout fires up to this much late. */
const SWEEP_MS = 250;

export class PubAcks {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #waiting = new Map<string, Waiter>();
  readonly #sweeper: NodeJS.Timeout;
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#prefix = `${createInbox()}.`;
    nc.subscribe(`${this.#prefix}*`, { callback: (err, msg) => (err ? this.#rejectAll(err) : this.#settle(msg)) });
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
    void nc.closed().then(() => {
      clearInterval(this.#sweeper);
      this.#rejectAll(new Error('NATS connection closed'));
    });
  }

  /** Publishes now and resolves with where the stream stored the message. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, timeoutMs: number): Promise<Stored> {
    const token = (this.#next++).toString(36);
    return new Promise<Stored>((resolve, reject) => {
      this.#waiting.set(token, { subject, deadline: Date.now() + timeoutMs, timeoutMs, resolve, reject });
      try {
        this.#nc.publish(
          subject,
          data,
          headers ? { reply: this.#prefix + token, headers } : { reply: this.#prefix + token },
        );
      } catch (err) {
        this.#waiting.delete(token);
        throw err; // from the executor: rejects the promise
      }
    });
  }

  /** Publishes still waiting for their acknowledgement. */
  get pending(): number {
    return this.#waiting.size;
  }

  #settle(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const w = this.#waiting.get(token);
    if (!w) return; // already timed out
    this.#waiting.delete(token);
    if (msg.headers?.hasError) {
      w.reject(
        msg.headers.code === 503
          ? new NoStream(w.subject)
          : new Error(`${w.subject}: ${msg.headers.code} ${msg.headers.description}`),
      );
      return;
    }
    let ack: PubAckBody;
    try {
      ack = JSON.parse(dec.decode(msg.data)) as PubAckBody;
    } catch {
      w.reject(new Error(`${w.subject}: unreadable acknowledgement`));
      return;
    }
    if (ack.error)
      w.reject(new PublishRefused(ack.error.description ?? 'refused', ack.error.code ?? 0, ack.error.err_code ?? 0));
    else if (typeof ack.stream !== 'string' || ack.stream === '' || typeof ack.seq !== 'number')
      w.reject(new Error(`${w.subject}: invalid acknowledgement`));
    else w.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
  }

  #sweep(): void {
    if (this.#waiting.size === 0) return;
    const now = Date.now();
    for (const [token, w] of this.#waiting) {
      if (w.deadline > now) continue;
      this.#waiting.delete(token);
      w.reject(new PublishTimeout(w.subject, w.timeoutMs));
    }
  }

  #rejectAll(err: Error): void {
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
  }
}

const perConnection = new WeakMap<NatsConnection, PubAcks>();

/** The connection's PubAcks, created with its reply subscription on first use. */
export function pubAcksOf(nc: NatsConnection): PubAcks {
  let p = perConnection.get(nc);
  if (!p) {
    p = new PubAcks(nc);
    perConnection.set(nc, p);
  }
  return p;
}
