// The secrets key of a process (docs/operations.md, "Secrets key") and the `hookstream secrets`
// commands: rotate-key seals every secret again under the current key; forget-key gives up a lost one.
import type { Settings } from '@hookstream/config';
import type { Logger, Metrics } from '@hookstream/observability';
import { connectBroker, ensureTopology, openConfigKv } from '@hookstream/broker';
import type { Broker, ConfigKv } from '@hookstream/broker';
import {
  type Catalog,
  type ForgetReport,
  type Keyring,
  type LoadedKeyring,
  type ResealReport,
  decodeKey,
  forgetKey,
  generateKey,
  loadKeyring,
  openCatalog,
  readKeyFile,
  resealAll,
  writeKeyFile,
} from '@hookstream/catalog';
import { startServices } from './embedded.ts';

/** Loads the keyring the settings name (for the embedded default, creating its key file once). */
export async function keyringFor(settings: Readonly<Settings>, log: Logger): Promise<LoadedKeyring> {
  const loaded = await loadKeyring(settings);
  if (loaded.created)
    log.info(
      { file: loaded.file },
      'created the secrets key file (mode 0600); back it up apart from the data: secrets cannot be read without it',
    );
  for (const w of loaded.warnings) log.warn(w);
  return loaded;
}

/** The catalog of a process, with its keyring; a change this process cannot open is logged, counted and not applied. */
export function openSealedCatalog(broker: Broker, keyring: Keyring, log: Logger, metrics: Metrics): Promise<Catalog> {
  return openCatalog(broker, {
    keyring,
    onUnopenable: (err, kind, id) => {
      metrics.configUnopenable();
      log.error(
        { kind, id, kid: err.kid },
        `a config change does not open with this process's keys and was not applied: ${err.message}`,
      );
    },
  });
}

/** Runs `fn` on the config bucket as stored, on the NATS the settings name (or the embedded one, started for it). */
async function onConfigBucket<T>(
  settings: Readonly<Settings>,
  log: Logger,
  fn: (kv: ConfigKv) => Promise<T>,
): Promise<T> {
  const services = await startServices(settings, log, { nats: true, database: false });
  try {
    const broker = await connectBroker({
      servers: (services.natsUrl as string).split(','),
      name: 'hookstream:secrets',
    });
    try {
      await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
      return await fn(await openConfigKv(broker));
    } finally {
      await broker.close();
    }
  } finally {
    await services.stop();
  }
}

/** Makes the records that hold secrets under a lost key fail closed, so that processes start again. */
export async function runForgetKey(settings: Readonly<Settings>, log: Logger, kid: string): Promise<ForgetReport> {
  const { keyring } = await keyringFor(settings, log);
  return onConfigBucket(settings, log, (kv) => forgetKey(kv, keyring, kid));
}

export interface RotateOptions {
  /** Put a new key first in the key file before sealing again (the file must be in use). */
  generate: boolean;
  /** After every secret is under the current key, leave only that key in the key file. */
  dropOld: boolean;
}

export interface RotateResult extends ResealReport {
  kid: string;
  /** Keys still loaded besides the current one; none after --drop-old. */
  oldKids: string[];
}

export async function runRotateKey(settings: Readonly<Settings>, log: Logger, o: RotateOptions): Promise<RotateResult> {
  let loaded = await keyringFor(settings, log);
  if ((o.generate || o.dropOld) && !loaded.file) {
    throw new Error(
      '--generate and --drop-old change the key file, and none is in use (SECRETS_KEY is set): change SECRETS_KEY and SECRETS_OLD_KEYS instead',
    );
  }
  if (o.generate && loaded.file) {
    const keys = await readKeyFile(loaded.file);
    await writeKeyFile(loaded.file, [decodeKey(generateKey()) as Buffer, ...keys]);
    loaded = await keyringFor(settings, log);
    log.info({ kid: loaded.keyring.currentKid, file: loaded.file }, 'a new current key was added to the key file');
  }
  const { keyring } = loaded;
  const report: ResealReport = await onConfigBucket(settings, log, (kv) => resealAll(kv, keyring));
  let oldKids = keyring.kids.slice(1);
  if (o.dropOld && loaded.file) {
    if (report.remaining > 0)
      throw new Error(
        `${report.remaining} record(s) are not yet under key ${keyring.currentKid}; the old keys stay in ${loaded.file}`,
      );
    const [current] = await readKeyFile(loaded.file);
    await writeKeyFile(loaded.file, [current as Buffer]);
    // Keys in SECRETS_OLD_KEYS are still loaded: say so rather than claim only one is left.
    oldKids = (await keyringFor(settings, log)).keyring.kids.slice(1);
  }
  return { ...report, kid: keyring.currentKid, oldKids };
}
