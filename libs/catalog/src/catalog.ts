// The catalog: the config KV plus the view it feeds. Writes go to KV and return once this
// process's view has applied them, so a create followed by a read on the same instance is consistent.
// Secrets are sealed on their way into the bucket and opened on their way into the view (sealed.ts):
// the bucket, nats-server's files and their backups hold only ciphertext.
import { type ConfigKind, type ConfigRecordByKind, configKey } from '@hookstream/contracts';
import { type Broker, type ConfigKv, openConfigKv } from '@hookstream/broker';
import { type Keyring, SecretsKeyError } from './keyring.ts';
import { openRecord, sealRecord } from './sealed.ts';
import { ConfigView } from './view.ts';

export interface Catalog {
  view: ConfigView;
  /** The bucket as stored: secrets in it are sealed. */
  kv: ConfigKv;
  keyring: Keyring;
  put<K extends ConfigKind>(kind: K, id: string, record: ConfigRecordByKind[K]): Promise<void>;
  create<K extends ConfigKind>(kind: K, id: string, record: ConfigRecordByKind[K]): Promise<boolean>;
  remove(kind: ConfigKind, id: string): Promise<void>;
  close(): void;
}

export interface CatalogOptions {
  /** Seals what this process writes and opens what it reads (secrets.ts loads it from the settings). */
  keyring: Keyring;
  readyTimeoutMs?: number;
  /**
   * A change that arrives after the start and does not open (a key this process lacks). The view keeps
   * the record's previous version rather than one without its secrets: nothing goes out unsigned.
   */
  onUnopenable?: (err: SecretsKeyError, kind: ConfigKind, id: string) => void;
}

export async function openCatalog(broker: Broker, opts: CatalogOptions): Promise<Catalog> {
  const { keyring } = opts;
  const kv = await openConfigKv(broker);
  const view = new ConfigView();
  let readyResolve: () => void = () => {};
  let loaded = false;
  const ready = new Promise<void>((r) => {
    readyResolve = () => {
      loaded = true;
      r();
    };
  });
  const failures: SecretsKeyError[] = [];
  // Records whose latest version this process could not open, by KV key: the view holds an older
  // one, and a write built from it would overwrite the newer version.
  const unopened = new Map<string, string | null>();
  const watcher = await kv.watch((c) => {
    let record = c.record;
    if (record !== null) {
      try {
        record = openRecord(keyring, c.kind, c.id, record);
      } catch (err) {
        if (!(err instanceof SecretsKeyError)) throw err;
        if (loaded) opts.onUnopenable?.(err, c.kind, c.id);
        else failures.push(err);
        unopened.set(configKey(c.kind, c.id), err.kid);
        view.advance(c.revision);
        return;
      }
    }
    unopened.delete(configKey(c.kind, c.id));
    view.apply(c.kind, c.id, record, c.revision);
  }, readyResolve);
  const refuseStale = (kind: ConfigKind, id: string): void => {
    const key = configKey(kind, id);
    if (!unopened.has(key)) return;
    const kid = unopened.get(key) ?? null;
    throw new SecretsKeyError(
      `${kind} ${id} was last written under key id ${kid}, which this process lacks; not overwriting it`,
      kid,
    );
  };
  const timeout = opts.readyTimeoutMs ?? 30_000;
  try {
    await Promise.race([
      ready,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('config watch did not load in time')), timeout).unref(),
      ),
    ]);
  } catch (err) {
    watcher.stop();
    throw err;
  }
  if (failures.length > 0) {
    watcher.stop();
    const kids = [...new Set(failures.map((f) => f.kid))].join(', ');
    const shown = failures
      .slice(0, 5)
      .map((f) => `\n  ${f.message}`)
      .join('');
    const more = failures.length > 5 ? `\n  … and ${failures.length - 5} more` : '';
    throw new SecretsKeyError(
      `${failures.length} config record(s) hold secrets that do not open with the keys loaded (key id ${kids}); load the key they were sealed under (SECRETS_KEY, SECRETS_OLD_KEYS or the key file):${shown}${more}`,
      failures[0]?.kid ?? null,
    );
  }
  return {
    view,
    kv,
    keyring,
    async put(kind, id, record) {
      refuseStale(kind, id);
      const rev = await kv.put(kind, id, sealRecord(keyring, kind, id, record));
      await view.waitForRevision(rev);
    },
    async create(kind, id, record) {
      refuseStale(kind, id);
      const rev = await kv.create(kind, id, sealRecord(keyring, kind, id, record));
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
