// `make chaos`: the whole system as separate processes, traffic with idempotency keys and fan-out,
// random faults (kill -9 of roles, NATS and Postgres restarts, failing / hanging / 429 destinations),
// then settle and check the ledger. Exit code 0 only when nothing was lost and everything agrees.
// Size and knobs: test/chaos/README.md. The last line of output is `CHAOS_RESULT <json>`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiClient } from './api.ts';
import { driveTraffic } from './driver.ts';
import { type FaultContext, type FaultLog, injectFaults, restoreAll } from './faults.ts';
import { computeLedger } from './ledger.ts';
import { readOptions } from './options.ts';
import { createRng } from './prng.ts';
import { startReceiverProcess } from './receiver.ts';
import { printReport } from './report.ts';
import { type Infra, Supervisor, startInfra } from './services.ts';
import { type Open, busyConsumers, settle } from './settle.ts';
import { createTenant } from './setup.ts';
import { RETRY_POLICY } from './topology.ts';

const o = readOptions(process.env);
const rng = createRng(o.seed);
const say = (s: string) => console.log(`[chaos +${((Date.now() - began) / 1000).toFixed(1)}s] ${s}`);
const began = Date.now();

const dir = await mkdtemp(path.join(tmpdir(), 'hs-chaos-'));
say(`seed ${o.seed}; ${o.events} events over ${o.seconds} s; working directory ${dir}`);
let infra: Infra | undefined;
let supervisor: Supervisor | undefined;
let receiver: Awaited<ReturnType<typeof startReceiverProcess>> | undefined;
let exitCode = 1;

try {
  infra = await startInfra(dir);
  say(`nats-server ${infra.nats.url}, postgres ${infra.pg.url}`);
  supervisor = new Supervisor({
    natsUrl: infra.nats.url,
    databaseUrl: infra.pg.url,
    logDir: path.join(dir, 'logs'),
    logLevel: o.logLevel,
  });
  await supervisor.migrate();
  const apis = await supervisor.add('api', o.apis);
  await supervisor.add('router', o.routers);
  await supervisor.add('deliverer', o.deliverers);
  await supervisor.add('projector', o.projectors);
  // The first api creates the streams; the others then start side by side.
  await supervisor.start(apis[0] as (typeof apis)[number]);
  await Promise.all(supervisor.slots.slice(1).map((s) => (supervisor as Supervisor).start(s)));
  say(`${supervisor.slots.map((s) => s.name).join(', ')} running`);

  receiver = await startReceiverProcess({ seed: o.seed, logFile: path.join(dir, 'logs', 'receiver.log') });
  const anon = new ApiClient(() => apis.map((s) => s.url));
  const tenant = await createTenant(anon, receiver.url);
  const api = anon.withKey(tenant.key);
  say('account, source, 5 destinations and their routes created');

  const ctx: FaultContext = { supervisor, infra, receiver, rng: rng.fork('faults'), t0: began };
  const stopFaults = new AbortController();
  const faults: Promise<FaultLog> = injectFaults(
    ctx,
    {
      meanGapMs: o.faultGapMs,
      modeMs: [2_000, 8_000],
      natsDownMs: [1_000, 4_000],
      pgDownMs: [2_000, 8_000],
      natsKill: o.natsKill,
    },
    stopFaults.signal,
  );
  const trafficStart = Date.now();
  const traffic = await driveTraffic(anon, tenant.token, rng.fork('traffic'), {
    events: o.events,
    seconds: o.seconds,
    resendRatio: 0.05,
    ingestRetryMs: 90_000,
    maxOutstanding: 256,
  });
  say(`traffic done in ${((Date.now() - trafficStart) / 1000).toFixed(1)} s; stopping faults`);
  stopFaults.abort();
  const faultLog = await faults;
  await restoreAll(ctx, 180_000);
  say(
    `all faults off (${Object.values(faultLog.counts).reduce((a, b) => a + (b ?? 0), 0)} injected); settling (bound ${o.settleS} s)`,
  );

  const first = await settle(api, traffic.keys, o.settleS * 1000, say);
  let final = first;
  let late: Open[] = [];
  let busy: string[] = [];
  if (first.settledAfterMs === null) {
    // Not finished in time: say where the messages are, then restart the deliverers gracefully —
    // they send what they hold, even behind an open circuit — and wait once more. What finishes
    // now was late (held), not lost; what still does not is lost.
    busy = await busyConsumers(`http://127.0.0.1:${infra.nats.monitorPort}`).catch((err: unknown) => [
      `(no monitoring: ${(err as Error).message})`,
    ]);
    say(
      `not settled after ${o.settleS} s (${first.unfinished.length} unfinished); consumers: ${busy.join('; ') || 'none busy'}`,
    );
    say('restarting the deliverers gracefully and waiting again');
    for (const slot of supervisor.byRole('deliverer')) await supervisor.restartGracefully(slot);
    final = await settle(api, traffic.keys, o.lateS * 1000, say);
    const still = new Set(final.unfinished.map((u) => u.id));
    late = first.unfinished.filter((u) => !still.has(u.id));
  }
  const receipts = await receiver.receipts();
  const ledger = computeLedger({
    keys: traffic.keys.values(),
    events: final.events,
    receipts,
    profileOf: tenant.profileOf,
    maxAttempts: RETRY_POLICY.max_attempts,
  });
  // The raw material, for a post-mortem of a failed run (kept with the logs).
  await writeFile(
    path.join(dir, 'ledger-input.json'),
    JSON.stringify({
      keys: [...traffic.keys.values()],
      events: final.events,
      receipts,
      profileOf: Object.fromEntries(tenant.profileOf),
    }),
  );
  const result = printReport({
    options: o,
    ledger,
    faults: faultLog,
    settledAfterMs: first.settledAfterMs,
    late,
    busy,
    unfinished: final.unfinished,
    supervisor,
    resends: traffic.resends,
    receipts: receipts.length,
  });
  exitCode = result.ok ? 0 : 1;
} catch (err) {
  console.error(`chaos run failed: ${(err as Error).stack ?? String(err)}`);
  exitCode = 2;
} finally {
  await supervisor?.stopAll().catch(() => {});
  await receiver?.stop().catch(() => {});
  await infra?.nats.stop().catch(() => {});
  await infra?.pg.stop().catch(() => {});
  if (exitCode === 0 && !o.keep) await rm(dir, { recursive: true, force: true });
  else say(`logs and stores kept in ${dir}`);
}
process.exit(exitCode);
