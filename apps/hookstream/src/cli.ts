// The `hookstream [run|migrate|rebuild|accounts|secrets]` command once main.ts has the process running with its V8
// heap flags. Thin: settings, build, start, stop on signal.
import { SettingsError, loadSettings } from '@hookstream/config';
import { createMetrics, processLogger } from '@hookstream/observability';
import { type Gateway, startGateway } from './gateway.ts';
import { runMigrate, runRebuild } from './commands.ts';
import { runAccounts } from './accounts.ts';
import { runSecrets } from './secrets-command.ts';
import { yieldToApi } from './priority.ts';
import { supervise } from './supervisor.ts';
import { underSupervisor } from './supervised.ts';

const command = process.argv[2] ?? 'run';
let settings;
try {
  settings = loadSettings();
} catch (err) {
  if (err instanceof SettingsError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const log = processLogger(settings, 'hookstream');

if (command !== 'run') {
  // One-shot commands: a signal ends the process through exit, so embedded services are stopped too.
  process.on('SIGTERM', () => process.exit(143));
  process.on('SIGINT', () => process.exit(130));
}

if (command === 'migrate') {
  await runMigrate(settings, log);
} else if (command === 'rebuild') {
  await runRebuild(settings, log);
} else if (command === 'accounts') {
  process.exitCode = await runAccounts(settings, log, process.argv.slice(3));
} else if (command === 'secrets') {
  process.exitCode = await runSecrets(process.argv.slice(3), settings, log);
} else if (command === 'run' && settings.processes === 'separate') {
  const supervisor = await supervise(settings, log).catch((err) => {
    log.fatal({ err }, 'hookstream could not start');
    process.exit(1);
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping the role processes: the api first');
    await supervisor.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} else if (command === 'run') {
  let gateway: Gateway | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight work');
    const force = setTimeout(() => process.exit(1), 60_000);
    force.unref();
    await gateway?.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const metrics = createMetrics();
  const supervised = underSupervisor(metrics, () => void stop('supervisor gone'));
  gateway = await startGateway(settings, {
    log,
    metrics: supervised?.metrics ?? metrics,
    ...(supervised ? { moreReadiness: supervised.readiness } : {}),
  }).catch((err) => {
    log.fatal({ err }, 'hookstream could not start');
    process.exit(1);
  });
  // After the start: embedded services this process started keep their own priority.
  const nice = yieldToApi(settings.roles, settings.backgroundNice);
  if (nice !== null)
    log.info({ nice }, 'no api role here: running at a lower CPU priority, so that ingest comes first');
  supervised?.ready();
} else {
  console.error(`unknown command '${command}'. Usage: hookstream [run|migrate|rebuild|accounts set-plan|secrets]`);
  process.exit(2);
}
