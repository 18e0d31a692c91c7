// `hookstream secrets generate-key | rotate-key [--generate] [--drop-old] | forget-key <kid>`: prints its result as
// plain lines for an operator; the exit code says whether it worked.
import type { Settings } from '@hookstream/config';
import type { Logger } from '@hookstream/observability';
import { generateKey } from '@hookstream/catalog';
import { runForgetKey, runRotateKey } from './secrets.ts';

const USAGE = `Usage:
  hookstream secrets generate-key                        print a new random key (base64) for SECRETS_KEY or a key file
  hookstream secrets rotate-key [--generate] [--drop-old]
      seal every secret in the config bucket again under the current key, and drop older copies.
      --generate  first add a new current key to the key file in use
      --drop-old  afterwards leave only the current key in the key file
  hookstream secrets forget-key <key id>
      the key is lost: destinations with secrets under it are deactivated without them, sources get a
      verification secret nobody knows (requests are refused until a new one is set) or a new path token`;

export async function runSecrets(
  args: string[],
  settings: Readonly<Settings>,
  log: Logger,
  out: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const [sub, ...flags] = args;
  if (sub === 'generate-key' && flags.length === 0) {
    out(generateKey());
    return 0;
  }
  if (sub === 'forget-key' && flags.length === 1 && /^[0-9a-f]{12}$/.test(flags[0] as string)) {
    try {
      const r = await runForgetKey(settings, log, flags[0] as string);
      const entries = Object.entries(r.changed);
      for (const [record, actions] of entries)
        out(`${record}: ${actions.join(', ') || 'secrets under the key removed'}`);
      out(
        entries.length > 0
          ? `${entries.length} record(s) changed: set new secrets through the API (and PATCH destinations back to active)`
          : `no record holds a secret under key id ${flags[0]}`,
      );
      return 0;
    } catch (err) {
      log.error({ err }, 'forget-key failed');
      console.error(`forget-key failed: ${(err as Error).message}`);
      return 1;
    }
  }
  const unknown = flags.filter((f) => f !== '--generate' && f !== '--drop-old');
  if (sub !== 'rotate-key' || unknown.length > 0) {
    console.error(USAGE);
    return 2;
  }
  try {
    const r = await runRotateKey(settings, log, {
      generate: flags.includes('--generate'),
      dropOld: flags.includes('--drop-old'),
    });
    const before =
      Object.entries(r.before)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ') || 'none';
    out(`current key: ${r.kid}`);
    out(`records with secrets: ${r.withSecrets} (before, by key: ${before})`);
    out(`sealed again: ${r.resealed}; older revisions dropped: ${r.purged}`);
    if (r.remaining > 0) {
      out(
        `${r.remaining} record(s) were written under another key meanwhile: give every process the current key, then run rotate-key again`,
      );
      return 1;
    }
    out(
      r.oldKids.length > 0
        ? `no secret needs key(s) ${r.oldKids.join(', ')} any more: remove them from SECRETS_OLD_KEYS or the key file`
        : 'only the current key is loaded',
    );
    return 0;
  } catch (err) {
    log.error({ err }, 'rotate-key failed');
    console.error(`rotate-key failed: ${(err as Error).message}`);
    return 1;
  }
}
