// Writes to NATS leave the process once per turn of the event loop, not once per message.
//
// The NATS client flushes its outbound buffer in a microtask after each write, so a publish or an
// ack issued from its own request handler or message handler goes out in a socket write of its
// own — on a busy gateway the largest single cost of the api, the router and the deliverer, and a
// read each for nats-server. Deferring every publish and ack to the check phase (setImmediate) sends all that
// one turn produced in one write. The delay is one turn of the event loop; order is kept.

export interface Coalescer {
  /** Runs `write` with the other writes of this turn, in the order they were asked for. */
  defer(write: () => void): void;
  /** Runs whatever waits now (before a drain or close). */
  flush(): void;
}

export function createCoalescer(): Coalescer {
  let queue: Array<() => void> = [];
  let scheduled: NodeJS.Immediate | null = null;
  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = null;
    const run = queue;
    queue = [];
    for (const write of run) {
      try {
        write();
      } catch {
        // Each write reports its own failure (a rejected publish, a lost ack the server redelivers).
      }
    }
  };
  return {
    defer(write) {
      queue.push(write);
      scheduled ??= setImmediate(flush);
    },
    flush,
  };
}
