// The chaos run at CI size: spawns test/chaos/run.ts with small settings and a fixed seed, and
// checks its verdict and ledger. `make chaos` runs the long version (test/chaos/README.md).
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';

// Start-up of eight processes on a small machine, traffic, settling, and a second wait if needed.
t.setTimeout(600_000);

t.test('chaos at CI size: nothing accepted is lost, and the read models agree with the receiver', async (t) => {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'run.ts')], {
    env: {
      ...process.env,
      CHAOS_EVENTS: process.env.CHAOS_EVENTS ?? '400',
      CHAOS_SECONDS: process.env.CHAOS_SECONDS ?? '20',
      CHAOS_SEED: process.env.CHAOS_SEED ?? '20240601',
      CHAOS_FAULT_GAP_MS: process.env.CHAOS_FAULT_GAP_MS ?? '2000',
      CHAOS_SETTLE_S: process.env.CHAOS_SETTLE_S ?? '60',
      CHAOS_LATE_S: process.env.CHAOS_LATE_S ?? '60',
      CHAOS_APIS: '1',
      // The faults the guarantee covers: kill -9 of roles, NATS stop/start, Postgres stop/start,
      // failing / hanging / 429 destinations. kill -9 of nats-server itself runs in `make chaos`.
      CHAOS_NATS_KILL: process.env.CHAOS_NATS_KILL ?? '0',
      CHAOS_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const line = out.split('\n').find((l) => l.startsWith('CHAOS_RESULT '));
  t.ok(line, 'the runner printed its result');
  if (!line) {
    t.comment(out.slice(-4000));
    return;
  }
  const result = JSON.parse(line.slice('CHAOS_RESULT '.length));
  // The ledger in the test log, pass or fail; on failure also what led to it.
  const ledger = out.indexOf('── chaos ledger');
  t.comment(code === 0 && ledger >= 0 ? out.slice(ledger, out.indexOf('CHAOS_RESULT')) : out.slice(-8000));
  t.equal(code, 0, 'the chaos run passed');
  t.equal(result.ledger.lost, 0, 'lost = 0');
  t.ok(result.ledger.eventsAccepted > 0, `${result.ledger.eventsAccepted} events accepted`);
  t.equal(
    result.ledger.phantom + result.ledger.stuck + result.ledger.chainBreaks + result.ledger.attemptMismatches,
    0,
    'the read models agree with the receiver',
  );
  const kinds = Object.keys(result.faults as Record<string, number>);
  for (const kind of [
    'kill_api',
    'kill_router',
    'kill_deliverer',
    'kill_projector',
    'nats_restart',
    'postgres_restart',
  ]) {
    t.ok(kinds.includes(kind), `fault ${kind} injected`);
  }
  t.ok(
    kinds.some((k) => k.startsWith('dest_')),
    'a destination switched into a fault mode',
  );
});
