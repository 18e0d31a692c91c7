import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { STREAMS } from '@hookstream/contracts';
import { freePort, startNatsServer } from '@hookstream/embedded';
import { connectBroker, handlesOf } from './connection.ts';
import { patiently } from './patience.ts';
import { ensureTopology } from './topology.ts';

const apiError = (code: number) => new JetStreamApiError({ code: 503, err_code: code, description: `error ${code}` });

t.test('patiently', async (t) => {
  t.test('asks again after no answer, and returns the answer once there is one', async (t) => {
    let calls = 0;
    const retried: number[] = [];
    const answer = await patiently(
      async () => {
        calls++;
        if (calls === 1) throw new errors.TimeoutError();
        if (calls === 2) throw apiError(10008);
        return 'answered';
      },
      { onRetry: (_err, attempt) => retried.push(attempt) },
    );
    t.equal(answer, 'answered');
    t.equal(calls, 3, 'after a timeout and a "temporarily unavailable"');
    t.same(retried, [1, 2]);
  });

  t.test('does not ask again after a real answer that is an error', async (t) => {
    let calls = 0;
    await t.rejects(
      patiently(async () => {
        calls++;
        throw apiError(10059);
      }),
      { message: /error 10059/ },
    );
    t.equal(calls, 1, 'stream not found is an answer');
  });

  t.test('gives up at its deadline with the last error', async (t) => {
    let calls = 0;
    await t.rejects(
      patiently(
        async () => {
          calls++;
          throw new errors.TimeoutError();
        },
        { withinMs: 600 },
      ),
      errors.TimeoutError,
    );
    t.ok(calls >= 2 && calls <= 4, `asked ${calls} times within 600 ms`);
  });
});

t.test(
  'given one node of a three-node cluster, when a role sets up its topology, then it waits for the cluster to form instead of failing',
  async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hs-test-patience-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const routePorts = await Promise.all([0, 1, 2].map(() => freePort()));
    const start = (i: number) =>
      startNatsServer({
        storeDir: path.join(dir, `n${i}`),
        port: 0,
        serverName: `hs-patience-n${i}`,
        cluster: {
          name: 'hs-patience',
          port: routePorts[i] as number,
          routes: routePorts.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`),
        },
      }).then((s) => {
        t.teardown(() => s.stop());
        return s;
      });
    const first = await start(0);

    const retries: string[] = [];
    let done = false;
    const setup = (async () => {
      const broker = await connectBroker({
        servers: first.url,
        name: 'patience-test',
        log: (_level, msg) => retries.push(msg),
      });
      t.teardown(() => broker.close());
      await ensureTopology(broker, { replicas: 3, duplicateWindowS: 120 });
      done = true;
      return broker;
    })();
    // With one node of three there is no meta leader: nothing answers the JetStream API.
    await new Promise((r) => setTimeout(r, 3_000));
    t.notOk(done, 'the setup waits while the cluster has no quorum');

    await Promise.all([start(1), start(2)]);
    const broker = await setup;
    t.ok(
      retries.some((m) => /JetStream did not answer yet/.test(m)),
      'and says it is waiting',
    );
    const info = await handlesOf(broker).jsm.streams.info(STREAMS.events);
    t.equal(info.config.num_replicas, 3, 'the streams are created, replicated on the cluster formed');
  },
);
