// hookstream-cli: `<group> <command> [args] [flags]`. run() is the whole program minus the process:
// main.ts hands it argv, the environment's settings and the streams, and exits with its answer.
import { HookstreamError } from '@hookstream/sdk';
import { Ctx, type Group, type Settings, UsageError, parse } from './context.ts';
import { type Io, Output } from './output.ts';
import { account, accounts, destinations, eventTypes, keys, routes, sources, stats } from './commands/manage.ts';
import { deadLetters, events, outbound } from './commands/events.ts';
import { exportsGroup, replays } from './commands/jobs.ts';
import { portalSessions } from './commands/portal.ts';
import { auditLog } from './commands/audit.ts';
import { invites, members } from './commands/people.ts';

export type { Io } from './output.ts';
export type { Settings } from './context.ts';

export const GROUPS: Record<string, Group> = {
  accounts,
  account,
  keys,
  members,
  invites,
  sources,
  destinations,
  routes,
  'event-types': eventTypes,
  events,
  outbound,
  'dead-letters': deadLetters,
  stats,
  replays,
  exports: exportsGroup,
  'portal-sessions': portalSessions,
  'audit-log': auditLog,
};

const GLOBAL = `Global flags:
  --url URL     server (default $HOOKSTREAM_URL)
  --key KEY     API key (default $HOOKSTREAM_API_KEY)
  --json        JSON on stdout, for scripts
  -h, --help    this help`;

function usage(group?: string): string {
  const groups = group && GROUPS[group] ? { [group]: GROUPS[group] } : GROUPS;
  const lines = ['Usage: hookstream-cli <command> [arguments] [flags]', ''];
  for (const [g, cmds] of Object.entries(groups)) {
    for (const [name, c] of Object.entries(cmds)) {
      lines.push(`  ${`${g} ${name}`.padEnd(28)}${c.summary}`);
      if (group) lines.push(`      ${g} ${name} ${c.usage}`.trimEnd());
    }
  }
  return `${lines.join('\n')}\n\n${GLOBAL}\n`;
}

/** Exit code: 0 done, 1 the server refused or failed, 2 a usage mistake, 130 interrupted. */
export async function run(
  argv: string[],
  settings: Settings,
  io: Io,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  const [group, name, ...args] = parsed.positionals;
  const out = new Output(io, parsed.values.json ?? false);
  if (!group || group === 'help') {
    io.stdout.write(usage(name));
    return group || parsed.values.help ? 0 : 2;
  }
  const cmds = GROUPS[group];
  const cmd = cmds && name ? cmds[name] : undefined;
  if (!cmds || !cmd || parsed.values.help) {
    const known = Boolean(cmds && (cmd || !name));
    if (!known) io.stderr.write(`error: unknown command '${[group, name].filter(Boolean).join(' ')}'\n\n`);
    (known && parsed.values.help ? io.stdout : io.stderr).write(usage(cmds ? group : undefined));
    return known && parsed.values.help ? 0 : 2;
  }
  try {
    const code = await cmd.run(new Ctx(parsed.values, args, out, settings, signal));
    return signal.aborted ? 130 : (code ?? 0);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\nusage: hookstream-cli ${group} ${name} ${cmd.usage}\n`);
      return 2;
    }
    if (err instanceof HookstreamError) {
      if (out.json) io.stdout.write(`${JSON.stringify({ error: err.message, code: err.code, status: err.status })}\n`);
      io.stderr.write(`error: ${err.message} (${err.code}${err.status ? `, HTTP ${err.status}` : ''})\n`);
      return 1;
    }
    throw err;
  }
}
