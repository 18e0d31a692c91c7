// `hookstream accounts set-plan <account_id> --plan P [--retention-days N]`: the operator's way to
// set an account's plan terms, written straight into the config store (no API key, no operator
// token). Every running process sees the change through its config watch.
import { connect as tcpConnect } from 'node:net';
import { parseArgs } from 'node:util';
import type { Settings } from '@hookstream/config';
import type { Logger } from '@hookstream/observability';
import { type ConfigKv, connectBroker, ensureTopology, openConfigKv } from '@hookstream/broker';
import type { AccountRecord } from '@hookstream/contracts';
import { PLAN_NAMES, type PlanChange, type PlanName, planTerms } from '@hookstream/domain';
import { startServices } from './embedded.ts';

export const ACCOUNTS_USAGE = `Usage: hookstream accounts set-plan <account_id> --plan free|pro|enterprise [--retention-days N]
  free keeps 1 day, pro 30; enterprise 90 unless --retention-days (1 to 3650) says otherwise.`;

/** A mistake in how the command was called: exit code 2 and the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface SetPlan {
  accountId: string;
  change: PlanChange;
}

export function parseAccountsArgs(argv: string[]): SetPlan {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { plan: { type: 'string' }, 'retention-days': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [sub, accountId, ...rest] = parsed.positionals;
  if (sub !== 'set-plan') throw new UsageError(sub ? `unknown accounts command '${sub}'` : 'missing accounts command');
  if (!accountId) throw new UsageError('missing <account_id>');
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const plan = parsed.values.plan;
  const days = parsed.values['retention-days'];
  if (plan === undefined && days === undefined)
    throw new UsageError('nothing to set: give --plan, --retention-days or both');
  if (plan !== undefined && !PLAN_NAMES.includes(plan as PlanName))
    throw new UsageError(`--plan must be one of ${PLAN_NAMES.join(', ')}`);
  if (days !== undefined && !/^[0-9]+$/.test(days))
    throw new UsageError('--retention-days must be a whole number of days');
  return {
    accountId,
    change: {
      ...(plan !== undefined ? { plan: plan as PlanName } : {}),
      ...(days !== undefined ? { retention_days: Number(days) } : {}),
    },
  };
}

export class PlanRefused extends Error {
  override name = 'PlanRefused';
}

/** Compare-and-set on the stored record, so a concurrent edit (a rename through the API) is not lost. */
export async function setPlan(kv: ConfigKv, accountId: string, change: PlanChange): Promise<AccountRecord> {
  for (;;) {
    const current = await kv.get('account', accountId);
    if (!current) throw new PlanRefused(`account ${accountId} not found`);
    const terms = planTerms(current.record, change);
    if (!terms.ok) throw new PlanRefused(terms.error);
    const next: AccountRecord = { ...current.record, ...terms.terms };
    if ((await kv.update('account', accountId, next, current.revision)) !== null) return next;
  }
}

/** Whether a nats-server answers at host:port: it greets every connection with an INFO line. */
function natsAnswers(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (d: Buffer) => done(d.subarray(0, 5).toString('latin1') === 'INFO '));
  });
}

/** Whether any of the servers of a NATS_URL answers (the client would wait for one forever). */
async function anyAnswers(natsUrl: string): Promise<boolean> {
  const answers = await Promise.all(
    natsUrl.split(',').map((u) => {
      try {
        const url = new URL(u.includes('://') ? u.trim() : `nats://${u.trim()}`);
        return natsAnswers(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 4222));
      } catch {
        return Promise.resolve(false);
      }
    }),
  );
  return answers.includes(true);
}

/** Runs `hookstream accounts …`; the answer is the exit code. */
export async function runAccounts(
  settings: Readonly<Settings>,
  log: Logger,
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  let cmd: SetPlan;
  try {
    cmd = parseAccountsArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${ACCOUNTS_USAGE}\n`);
    return 2;
  }
  // Without NATS_URL the store is the embedded server's: the running gateway's when there is one
  // (its data directory is in use), else one started for this command.
  if (settings.natsUrl && !(await anyAnswers(settings.natsUrl))) {
    process.stderr.write(`NATS does not answer at ${settings.natsUrl}\n`);
    return 1;
  }
  const running = !settings.natsUrl && (await natsAnswers('127.0.0.1', settings.embeddedNatsPort));
  const services = running
    ? { natsUrl: `nats://127.0.0.1:${settings.embeddedNatsPort}`, stop: async () => {} }
    : await startServices(settings, log, { nats: true, database: false });
  try {
    const broker = await connectBroker({
      servers: (services.natsUrl as string).split(','),
      name: 'hookstream:accounts',
    });
    try {
      await ensureTopology(broker, { replicas: settings.streamReplicas, duplicateWindowS: settings.duplicateWindowS });
      const account = await setPlan(await openConfigKv(broker), cmd.accountId, cmd.change);
      out.write(
        `account ${account.id} (${account.name}): plan ${account.plan}, retention ${account.retention_days} days\n`,
      );
      return 0;
    } catch (err) {
      if (!(err instanceof PlanRefused)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 1;
    } finally {
      await broker.close();
    }
  } finally {
    await services.stop();
  }
}
