// The one line per delivery attempt: at debug by default, so that an info log (the default level)
// stays about the process, not its traffic; at info when the operator asks (LOG_DELIVERIES).
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { createLogger } from '@hookstream/observability';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { enqueue, putDestination, readAttempts, startDeliverer, startStack } from './harness.ts';

interface Entry {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function capture(): { stream: Writable; entries: Entry[] } {
  const entries: Entry[] = [];
  let rest = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l) entries.push(JSON.parse(l) as Entry);
      done();
    },
  });
  return { stream, entries };
}

const INFO = 30;
const DEBUG = 20;

async function deliverOne(t: Test, logDeliveries: boolean | undefined, level: string) {
  const s = await startStack(t);
  const receiver = await startReceiver(t);
  const d = await putDestination(s, receiver.url);
  const out = capture();
  await startDeliverer(t, s, {
    log: createLogger(level, 'hookstream', out.stream),
    ...(logDeliveries === undefined ? {} : { logDeliveries }),
  });
  const { event, delivery } = await enqueue(s, d);
  await receiver.waitForCount(1, 20_000);
  await waitFor(async () => (await readAttempts(s.broker)).some((f) => f.delivery_id === delivery.delivery_id), {
    timeoutMs: 20_000,
    message: 'attempt recorded',
  });
  // The line is written (synchronously) before the attempt's fact is stored.
  return {
    lines: out.entries.filter((e) => e.msg === 'delivery attempt'),
    event,
    delivery,
    destination: d,
    all: out.entries,
  };
}

t.test('by default an info log has no line per attempt; debug has it', async (t) => {
  const info = await deliverOne(t, undefined, 'info');
  t.same(info.lines, [], 'no attempt line at info');
  t.ok(
    info.all.some((e) => e.msg === 'deliverer started' && e.level === INFO),
    'the process lines are there',
  );

  const debug = await deliverOne(t, undefined, 'debug');
  t.equal(debug.lines.length, 1);
  t.equal(debug.lines[0]?.level, DEBUG, 'the attempt is at debug');
});

t.test('LOG_DELIVERIES: one info line per attempt, with the fixed keys', async (t) => {
  const r = await deliverOne(t, true, 'info');
  t.equal(r.lines.length, 1);
  t.match(r.lines[0], {
    level: INFO,
    event_id: r.event.event_id,
    delivery_id: r.delivery.delivery_id,
    destination_id: r.destination.id,
    attempt: 1,
    outcome: 'delivered',
    status_code: 200,
  });
});
