// The one message class every consumer of the pipeline hands its handlers (consume.ts makes them).
import type { Msg } from '@nats-io/transport-node';
import type { Handles } from './connection.ts';
import { fromHeaders } from './publish.ts';

/** A message pulled from a durable consumer: where it stands, and the one way to settle it. */
export interface InboundMsg {
  subject: string;
  streamSeq: number;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  deliveryCount: number;
  /** Time the message was stored in the stream, ms since epoch. */
  timestampMs: number;
  headers: Record<string, string>;
  data: Uint8Array;
  ack(): void;
  /** Acknowledge and wait for the server to confirm. */
  ackSync(): Promise<void>;
  nak(delayMs?: number): void;
  term(): void;
  /** Still being handled: the server restarts its AckWait. */
  working(): void;
}

const enc = new TextEncoder();
const ACK = enc.encode('+ACK');
const NAK = enc.encode('-NAK');
const TERM = enc.encode('+TERM');
const WPI = enc.encode('+WPI');
const NS = 1_000_000;

/**
 * The reply subject's tokens, or null when the message is not a consumer's delivery (a status):
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time ns>.<pending>`, with a
 * domain and an account hash after `ACK` on servers that send them.
 */
export function ackTokens(reply: string | undefined): string[] | null {
  if (!reply?.startsWith('$JS.ACK.')) return null;
  const tokens = reply.split('.');
  return tokens.length === 9 || tokens.length >= 11 ? tokens : null;
}

/**
 * One object per message, its methods on the prototype, its headers read when first asked for (a
 * fact's reader never asks). Acks leave with the other writes of their turn (coalesce.ts); once
 * settled, a message ignores later acks, naks and terms.
 */
export class PulledMsg implements InboundMsg {
  readonly subject: string;
  readonly streamSeq: number;
  readonly deliveryCount: number;
  readonly timestampMs: number;
  readonly data: Uint8Array;
  readonly #m: Msg;
  readonly #handles: Handles;
  #headers: Record<string, string> | undefined;
  #settled = false;

  constructor(m: Msg, tokens: readonly string[], handles: Handles) {
    const at = tokens.length === 9 ? 4 : 6;
    this.subject = m.subject;
    this.deliveryCount = Number(tokens[at]);
    this.streamSeq = Number(tokens[at + 1]);
    this.timestampMs = Math.floor(Number(tokens[at + 3]) / NS);
    this.data = m.data;
    this.#m = m;
    this.#handles = handles;
  }

  get headers(): Record<string, string> {
    this.#headers ??= fromHeaders(this.#m.headers);
    return this.#headers;
  }

  #reply(payload: Uint8Array, final = true): void {
    if (this.#settled) return;
    if (final) this.#settled = true;
    const m = this.#m;
    this.#handles.writes.defer(() => m.respond(payload));
  }

  ack(): void {
    this.#reply(ACK);
  }

  async ackSync(): Promise<void> {
    this.#settled = true;
    await this.#handles.nc.request(this.#m.reply as string, ACK, { timeout: 5_000 });
  }

  nak(delayMs?: number): void {
    this.#reply(delayMs ? enc.encode(`-NAK ${JSON.stringify({ delay: Math.round(delayMs * NS) })}`) : NAK);
  }

  // nats-server 2.9 ignores a +TERM that carries a reason (the message would stay ack-pending):
  // terminate without one; callers log the reason themselves.
  term(): void {
    this.#reply(TERM);
  }

  working(): void {
    this.#reply(WPI, false);
  }
}
