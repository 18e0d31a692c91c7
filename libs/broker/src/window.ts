// What a consumer's next pull may ask for: its window in messages and in bytes, less what its
// handlers hold. Pure bookkeeping, so that the engine (consume.ts) only says what happened.
import { MAX_MSG_BYTES } from './topology.ts';

/**
 * What the pull of a message larger than the window asks for: the largest message a stream takes,
 * with room for its subject and reply subject.
 */
export const MIN_PULL_BYTES = MAX_MSG_BYTES + 64 * 1024;

/** The byte window never shrinks below this after lost pulls. */
const MIN_WINDOW_BYTES = 64 * 1024;

export class PullWindow {
  /** Messages handed out whose handlers have not returned, and their bytes. */
  inHand = 0;
  inHandBytes = 0;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  // Halved when a pull is lost with the connection (the server cuts off a client that falls behind
  // by more than its max_pending, and a window past it would be cut off again at every reconnect);
  // grown back by an eighth with each pull that brings messages and ends well.
  #bytes: number;
  // The last pull brought nothing because its next message was larger than the bytes it allowed:
  // the next asks once the hands are empty; when even a whole window was too small, for that one
  // message alone, with room for a message of any size (more, should even that fail).
  #untilEmpty = false;
  #large = false;
  #extraBytes = 0;

  constructor(maxMessages: number, maxBytes: number) {
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
    this.#bytes = maxBytes;
  }

  /** The byte window now (below the configured one after lost pulls). */
  get bytes(): number {
    return this.#bytes;
  }

  /** What the next pull may ask for, or null to wait until handlers return. */
  next(): { msgs: number; bytes: number } | null {
    if (this.#large || this.#untilEmpty) {
      if (this.inHand > 0) return null;
      if (this.#large) return { msgs: 1, bytes: MIN_PULL_BYTES + this.#extraBytes };
      return { msgs: this.#maxMessages, bytes: this.#bytes };
    }
    const msgs = this.#maxMessages - this.inHand;
    const bytes = this.#bytes - this.inHandBytes;
    // Not in drips: wait until a quarter of the window is free, in messages and in bytes.
    if (msgs < Math.max(1, Math.floor(this.#maxMessages / 4)) || bytes < this.#bytes / 4) return null;
    return { msgs, bytes };
  }

  /** A message came and is in hand. */
  took(size: number): void {
    this.inHand++;
    this.inHandBytes += size;
    this.#large = false;
    this.#untilEmpty = false;
    this.#extraBytes = 0;
  }

  /** Its handler returned. */
  settled(size: number): void {
    this.inHand--;
    this.inHandBytes -= size;
  }

  /** A pull brought nothing: its next message was larger than the bytes it allowed. */
  tooLarge(): void {
    if (this.inHand > 0) {
      this.#untilEmpty = true;
      return;
    }
    if (this.#large) this.#extraBytes = Math.min(this.#extraBytes * 2 || MIN_PULL_BYTES, 64 * 1024 * 1024);
    this.#large = true;
  }

  /** A pull that brought messages ended well. */
  wentWell(): void {
    this.#bytes = Math.min(this.#maxBytes, Math.ceil(this.#bytes * 1.125));
  }

  /** A pull was lost with the connection. */
  lost(): void {
    this.#bytes = Math.max(MIN_WINDOW_BYTES, Math.floor(this.#bytes / 2));
  }
}
