// The closing report of a chaos run: human-readable lines, then one machine-readable line.
import type { FaultLog } from './faults.ts';
import type { Ledger } from './ledger.ts';
import type { ChaosOptions } from './options.ts';
import type { Supervisor } from './services.ts';
import type { Open } from './settle.ts';

export interface ChaosResult {
  seed: number;
  events: number;
  seconds: number;
  ok: boolean;
  settled: boolean;
  settledAfterMs: number | null;
  late: number;
  crashes: number;
  faults: FaultLog['counts'];
  faultErrors: string[];
  processes: Record<string, { starts: number; crashes: number; failedStarts: number }>;
  ledger: Omit<Ledger, 'problems' | 'slowest'>;
}

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function printReport(r: {
  options: ChaosOptions;
  ledger: Ledger;
  faults: FaultLog;
  /** Null when the first settle bound passed. */
  settledAfterMs: number | null;
  /** Unfinished at the bound, finished after the deliverers restarted. */
  late: readonly Open[];
  /** Consumers holding messages when the bound passed. */
  busy: readonly string[];
  /** Still unfinished at the very end. */
  unfinished: readonly Open[];
  supervisor: Supervisor;
  resends: number;
  receipts: number;
}): ChaosResult {
  const { ledger: l, faults } = r;
  const crashes = r.supervisor.slots.reduce((n, s) => n + s.crashes, 0);
  const ok =
    l.ok &&
    r.unfinished.length === 0 &&
    !(r.options.failOnCrash && crashes > 0) &&
    !(r.options.failOnLate && r.late.length > 0);
  const total = Object.values(faults.counts).reduce((a, b) => a + (b ?? 0), 0);
  const processes: ChaosResult['processes'] = {};
  for (const s of r.supervisor.slots)
    processes[s.name] = { starts: s.starts, crashes: s.crashes, failedStarts: s.failedStarts };
  const lines = [
    '',
    '── chaos ledger ─────────────────────────────────────────────',
    `seed ${r.options.seed} · ${r.options.events} events over ${r.options.seconds} s · ${r.supervisor.slots.map((s) => s.name).join(' ')}`,
    `events accepted       ${l.eventsAccepted} (202, not duplicate)` +
      (l.acceptedResponseLost ? ` + ${l.acceptedResponseLost} stored whose 202 was lost` : ''),
    `keys sent             ${l.keysSent}; deliberate re-sends ${r.resends}; duplicate answers ${l.duplicateAnswers}; never accepted ${l.neverAccepted}`,
    `ingest                p50 ${s1(l.ingestMs.p50)} · p99 ${s1(l.ingestMs.p99)} · max ${s1(l.ingestMs.max)} to the first 202; ${l.ingestMs.retried} keys needed a retry`,
    `faults injected       ${total}: ${Object.entries(faults.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `deliveries            ${l.pairs} (event, destination) pairs: ${l.delivered} delivered, ${l.deadLettered} dead-lettered; ${r.receipts} requests received`,
    `LOST                  ${l.lost}`,
    `duplicate deliveries  ${l.duplicates} (${(l.duplicateRatio * 100).toFixed(2)} % of delivered pairs), all with the same delivery id` +
      (l.chainBreaks ? ` — except ${l.chainBreaks} chain breaks` : ''),
    `settle time           p50 ${s1(l.settleMs.p50)} · p99 ${s1(l.settleMs.p99)} · max ${s1(l.settleMs.max)} (202 → delivered or dead-lettered)`,
    `settled               ${r.settledAfterMs === null ? `NOT within ${r.options.settleS} s` : `${s1(r.settledAfterMs)} after the last fault`}`,
    `LATE                  ${r.late.length} events finished only after the deliverers were restarted (held in hand, e.g. behind an open circuit)`,
    `checks                stuck ${l.stuck} · phantom ${l.phantom} · dead after 2xx ${l.deadAfter2xx.unexplained} (+${l.deadAfter2xx.explained} cut off by a crash or deadline) · ` +
      `chain breaks ${l.chainBreaks} · wrong fan-out ${l.wrongFanout} · double-accepted keys ${l.doubleAccepted} · missing from read models ${l.missingFromReadModel} · ` +
      `attempt mismatches ${l.attemptMismatches} · over max attempts ${l.overAttempts} · unknown events ${l.unknownEvents}`,
    `process crashes       ${
      Object.entries(processes)
        .filter(([, p]) => p.crashes > 0)
        .map(([n, p]) => `${n} ${p.crashes}`)
        .join(', ') || 'none'
    }` +
      ` (failed starts: ${
        Object.entries(processes)
          .filter(([, p]) => p.failedStarts > 0)
          .map(([n, p]) => `${n} ${p.failedStarts}`)
          .join(', ') || 'none'
      })`,
    `verdict               ${ok ? 'PASS' : 'FAIL'}${crashes > 0 && !r.options.failOnCrash ? ` (with ${crashes} process crashes: see the logs)` : ''}`,
  ];
  if (faults.errors.length) lines.push('fault injector errors:', ...faults.errors.map((e) => `  ${e}`));
  if (l.problems.length) lines.push('problems (first ones):', ...l.problems.map((p) => `  ${p}`));
  if (l.slowest.length)
    lines.push('slowest pairs (attempt, time since the 202, outcome):', ...l.slowest.map((x) => `  ${x}`));
  if (r.late.length)
    lines.push('late (first ones):', ...r.late.slice(0, 20).map((u) => `  ${u.id}: ${u.why} at the bound`));
  if (r.busy.length) lines.push('consumers holding messages when the bound passed:', ...r.busy.map((b) => `  ${b}`));
  if (r.unfinished.length)
    lines.push(
      'still unfinished at the end (first ones):',
      ...r.unfinished.slice(0, 20).map((u) => `  ${u.id}: ${u.why}`),
    );
  lines.push('fault timeline:', ...faults.lines.map((x) => `  ${x}`));
  console.log(lines.join('\n'));
  const { problems: _problems, slowest: _slowest, ...ledger } = l;
  const result: ChaosResult = {
    seed: r.options.seed,
    events: r.options.events,
    seconds: r.options.seconds,
    ok,
    settled: r.settledAfterMs !== null,
    settledAfterMs: r.settledAfterMs,
    late: r.late.length,
    crashes,
    faults: faults.counts,
    faultErrors: faults.errors,
    processes,
    ledger,
  };
  console.log(`CHAOS_RESULT ${JSON.stringify(result)}`);
  return result;
}
