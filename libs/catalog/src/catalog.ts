// The catalog: the config KV plus the view it feeds. Writes go to KV and return once this
// process's view has applied them, so a create followed by a read on the same instance is consistent.
import type { ConfigKind, ConfigRecordByKind } from '@hookstream/contracts';
import { type Broker, type ConfigKv, openConfigKv } from '@hookstream/broker';
import { ConfigView } from './view.ts';

export interface Catalog {
  view: ConfigView;
  kv: ConfigKv;
  put<K extends ConfigKind>(kind: K, id: string, record: ConfigRecordByKind[K]): Promise<void>;
  create<K extends ConfigKind>(kind: K, id: string, record: ConfigRecordByKind[K]): Promise<boolean>;
  remove(kind: ConfigKind, id: string): Promise<void>;
  close(): void;
}

export async function openCatalog(broker: Broker, opts: { readyTimeoutMs?: number } = {}): Promise<Catalog> {
  const kv = await openConfigKv(broker);
  const view = new ConfigView();
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => {
    readyResolve = r;
  });
  const watcher = await kv.watch((c) => view.apply(c.kind, c.id, c.record, c.revision), readyResolve);
  const timeout = opts.readyTimeoutMs ?? 30_000;
  await Promise.race([
    ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error('config watch did not load in time')), timeout).unref()),
  ]);
  return {
    view,
    kv,
    async put(kind, id, record) {
      const rev = await kv.put(kind, id, record);
      await view.waitForRevision(rev);
    },
    async create(kind, id, record) {
      const rev = await kv.create(kind, id, record);
      if (rev === null) return false;
      await view.waitForRevision(rev);
      return true;
    },
    async remove(kind, id) {
      const rev = await kv.delete(kind, id);
      if (rev) await view.waitForRevision(rev);
    },
    close: () => watcher.stop(),
  };
}
