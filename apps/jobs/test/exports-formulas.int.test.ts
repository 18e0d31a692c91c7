// Spreadsheet formulas planted through an ingest's headers and a receiver's answer reach the export
// files: in CSV they arrive neutralised (a leading single quote), in NDJSON as they were sent.
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { startReceiver } from '@hookstream/testkit';
import { created, startSystem, tenant, until } from './harness.ts';

const HYPERLINK = '=HYPERLINK("http://evil","x")';
const DDE = "@SUM(1+1)*cmd|' /C calc'!A0";

function csvRows(text: string): Array<Record<string, string>> {
  return parse<Record<string, string>>(text, { columns: true });
}

t.test(
  'an event with formulas in its headers exports to CSV with neutralised cells, and to NDJSON unchanged',
  async (t) => {
    const gw = await startSystem(t);
    const app = gw.api as NonNullable<typeof gw.api>;
    const receiver = await startReceiver(t);
    receiver.respond(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: DDE }));
    const a = await tenant(gw, 'acme');
    const auth = { authorization: `Bearer ${a.key}` };
    const src = await created(a.api, '/v1/sources', { name: 'shop' });
    const dst = await created(a.api, '/v1/destinations', { name: 'sheet', url: `${receiver.url}/in` });
    await created(a.api, '/v1/routes', { source_id: src.id, destination_id: dst.id, event_type_pattern: null });

    const r = await a.api.ingest(src.path_token, '{"n":1}', {
      'content-type': 'application/json',
      'x-note': HYPERLINK,
      'x-event-type': HYPERLINK,
      'idempotency-key': '+1+2',
    });
    t.equal(r.status, 202, JSON.stringify(r.json));
    const ev = await until(
      a.api,
      `/v1/events/${r.json.data.id}`,
      (e) => e.status === 'delivered',
      'event delivered and projected',
    );
    t.equal(ev.headers['x-note'], HYPERLINK, 'the event itself keeps the header as sent');
    await until(a.api, `/v1/events/${ev.id}`, (e) => e.deliveries?.[0]?.attempts?.length === 1, 'attempt projected');

    const download = async (body: Record<string, unknown>) => {
      const post = await a.api.call('POST', '/v1/exports', body);
      t.equal(post.status, 202, JSON.stringify(post.json));
      await until(
        a.api,
        `/v1/exports/${post.json.data.id}`,
        (e) => e.status === 'completed',
        `${JSON.stringify(body)} export finished`,
        60_000,
      );
      const file = await app.inject({ method: 'GET', url: `/v1/exports/${post.json.data.id}/download`, headers: auth });
      t.equal(file.statusCode, 200);
      return file.body;
    };

    const [event] = csvRows(await download({ kind: 'events', format: 'csv' }));
    t.equal(event?.event_type, `'${HYPERLINK}`, 'the event type from X-Event-Type is neutralised');
    t.equal(event?.idempotency_key, "'+1+2", 'the idempotency key from its header is neutralised');
    t.equal(event?.id, ev.id, 'other cells are as they were');

    const [attempt] = csvRows(await download({ kind: 'attempts', format: 'csv' }));
    t.equal(attempt?.response_excerpt, `'${DDE}`, "the receiver's answer is neutralised");
    t.equal(attempt?.event_id, ev.id);

    for (const [kind, text] of [
      ['events', await download({ kind: 'events', format: 'csv' })],
      ['attempts', await download({ kind: 'attempts', format: 'csv' })],
    ] as const) {
      const cells = parse(text).flat();
      t.notOk(
        cells.some((c) => /^[=+\-@\t\r]/.test(c)),
        `no cell of the ${kind} CSV starts with a formula character`,
      );
    }

    const ndjson = (await download({ kind: 'events', format: 'ndjson' }))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.match(
      ndjson,
      [{ id: ev.id, event_type: HYPERLINK, idempotency_key: '+1+2' }],
      'NDJSON carries the values unchanged',
    );
    const attemptsNd = (await download({ kind: 'attempts', format: 'ndjson' }))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.match(attemptsNd, [{ event_id: ev.id, response_excerpt: DDE }]);
  },
);
