// An open-loop load generator: sends at a fixed rate whatever the answers do (so a slow server
// shows as latency, not as a lower offered rate), 1 KB bodies carrying seq and send time.
// Records, per seq, when its 202 arrived: the receiver's arrival minus that is the end-to-end time.
// At most one second's worth of requests is outstanding: beyond that the server is not keeping up,
// and the sends it could not take are counted as skipped rather than queued without end.
import { Pool } from 'undici';
import { makeBody } from './body.ts';
import { oneShot } from './ipc.ts';

interface Args {
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  seqBase: number;
  /** Send back the 202 time of every seq (latency scenarios). */
  record: boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const now = () => performance.timeOrigin + performance.now();

oneShot<Args>(async (a) => {
  const target = new URL(a.url);
  const pool = new Pool(target.origin, { connections: a.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = Math.round(a.rate * a.durationS);
  const acks = new Float64Array(total);
  const latencies = new Float64Array(total);
  let ok = 0;
  let non202 = 0;
  let errors = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let sent = 0;
  let skipped = 0;
  let lastAnswer = 0;
  const cap = Math.max(a.connections * 2, Math.ceil(a.rate));
  const interval = 1000 / a.rate;
  const started = now();

  const answered = (i: number, scheduled: number, status: number) => {
    inFlight--;
    const t = now();
    lastAnswer = t;
    if (status === 202) {
      ok++;
      acks[i] = t;
      // From the scheduled send, so queueing inside the generator counts (no coordinated omission).
      latencies[i] = t - scheduled;
    } else non202++;
  };

  // dispatch() with callbacks rather than request(): no promise, body stream or abort signal per
  // request, so the generator takes less of the machine it shares with the server under test.
  const fire = (i: number, scheduled: number) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let status = 0;
    pool.dispatch(
      { path: target.pathname, method: 'POST', body: makeBody(a.seqBase + i, now()), headers: JSON_HEADERS },
      {
        onRequestStart() {},
        onResponseStart(_c, statusCode) {
          status = statusCode;
        },
        onResponseData() {},
        onResponseEnd() {
          answered(i, scheduled, status);
        },
        onResponseError() {
          inFlight--;
          errors++;
        },
      },
    );
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((now() - started) / interval) + 1);
      while (sent < due) {
        if (inFlight < cap) fire(sent, started + sent * interval);
        else skipped++;
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendEnd = now();
  const deadline = sendEnd + 30_000;
  while (inFlight > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await pool.close();

  const lat = Array.from(latencies.filter((v) => v > 0)).sort((x, y) => x - y);
  const pct = (p: number) =>
    lat.length ? (lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] as number) : NaN;
  return {
    target_rate: a.rate,
    sent: sent - skipped,
    skipped,
    ok,
    non202,
    errors,
    unanswered: inFlight,
    // Achieved: 202s per second of the sending window (answers that came late still count; a
    // server that falls behind shows as skipped sends, not as a lower rate here).
    achieved_rate: Math.round(ok / ((sendEnd - started) / 1000)),
    last_answer_after_ms: Math.round(Math.max(0, lastAnswer - sendEnd)),
    max_in_flight: maxInFlight,
    ingest_p50_ms: Math.round(pct(50) * 100) / 100,
    ingest_p99_ms: Math.round(pct(99) * 100) / 100,
    started_at: started,
    ...(a.record ? { acks } : {}),
  };
});
