// The child side of the bench's process protocol: arguments arrive as JSON in argv[2]; a one-shot
// child sends {type:'result'} and exits; a server sends {type:'ready'} and answers {type:'cmd'}.
export function childArgs<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('bench child: missing JSON arguments');
  return JSON.parse(raw) as T;
}

function send(msg: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      console.log(JSON.stringify(msg));
      resolve();
      return;
    }
    process.send(msg, () => resolve());
  });
}

/** Reports the result to the parent and exits once the message left. */
export async function finish(result: unknown): Promise<never> {
  await send({ type: 'result', result });
  process.exit(0);
}

/** Runs `main`, reporting its result or its error (exit 1). */
export function oneShot<T>(main: (args: T) => Promise<unknown>): void {
  main(childArgs<T>()).then(
    (r) => finish(r),
    async (err: unknown) => {
      await send({ type: 'error', error: (err as Error)?.stack ?? String(err) });
      process.exit(1);
    },
  );
}

export type Handlers = Record<string, (args: Record<string, unknown>) => unknown>;

/** A long-lived child: announces `info` when ready, then answers commands until 'exit'. */
export async function serve(info: unknown, handlers: Handlers, onExit?: () => Promise<void>): Promise<void> {
  process.on('message', (raw: unknown) => {
    const m = raw as { type?: string; id?: number; cmd?: string; args?: Record<string, unknown> };
    if (m.type !== 'cmd' || typeof m.id !== 'number' || !m.cmd) return;
    const id = m.id;
    if (m.cmd === 'exit') {
      void (async () => {
        await onExit?.().catch(() => {});
        await send({ type: 'reply', id, result: null });
        process.exit(0);
      })();
      return;
    }
    const h = handlers[m.cmd];
    Promise.resolve()
      .then(() => (h ? h(m.args ?? {}) : Promise.reject(new Error(`unknown command ${m.cmd}`))))
      .then(
        (result) => send({ type: 'reply', id, result }),
        (err: unknown) => send({ type: 'reply', id, error: (err as Error)?.message ?? String(err) }),
      );
  });
  // The parent going away must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
  await send({ type: 'ready', info });
}
