import t from 'tap';
import {
  ContractError,
  DELIVERY_HEADER,
  type DeliveryMeta,
  type EventMeta,
  META_HEADER,
  asciiJson,
  decodeDeliveryMeta,
  decodeEventMeta,
  encodeDeliveryHeaders,
  encodeEventHeaders,
} from './messages.ts';

const event = (over: Partial<EventMeta> = {}): EventMeta => ({
  v: 1,
  event_id: 'evt_1',
  account_id: 'acc_1',
  direction: 'inbound',
  source_id: 'src_1',
  event_type: 'order.paid',
  received_at: '2026-01-01T00:00:00.000Z',
  content_type: 'application/json',
  headers: { 'content-type': 'application/json' },
  labels: null,
  idempotency_key: null,
  ...over,
});

const delivery: DeliveryMeta = {
  v: 1,
  delivery_id: 'dlv_1',
  destination_id: 'dst_1',
  route_id: 'rte_1',
  event_seq: 7,
  replay_id: null,
  created_at: '2026-01-01T00:00:01.000Z',
};

t.test('given a value to put in a header', async (t) => {
  t.test('when it is all ASCII, then it is plain JSON', async (t) => {
    t.equal(asciiJson({ a: 'b', n: 1 }), '{"a":"b","n":1}');
  });
  t.test(
    'when it holds DEL, accents or emoji, then each code unit above 0x7e is escaped and parses back',
    async (t) => {
      const value = { s: 'caf\u00e9 \u007f \u{1F600}' };
      const json = asciiJson(value);
      t.equal(json, '{"s":"caf\\u00e9 \\u007f \\ud83d\\ude00"}');
      t.same(JSON.parse(json), value);
    },
  );
});

t.test('given an event read from its headers', async (t) => {
  t.test('when a delivery of it is encoded, then the delivery carries the same meta header', async (t) => {
    const headers = encodeEventHeaders(event({ headers: { 'x-name': 'Zo\u00eb' } }));
    const meta = decodeEventMeta(headers);
    const out = encodeDeliveryHeaders(meta, delivery);
    t.equal(out[META_HEADER], headers[META_HEADER]);
    t.same(decodeDeliveryMeta(out), { event: meta, delivery });
  });
  t.test('when it is not JSON or not v1, then it is refused', async (t) => {
    t.throws(() => decodeEventMeta({ [META_HEADER]: '{' }), ContractError);
    t.throws(() => decodeEventMeta({ [META_HEADER]: asciiJson({ ...event(), v: 2 }) }), ContractError);
    t.throws(() => decodeEventMeta({}), ContractError);
  });
});

t.test('given an outbound event restricted to some destinations', async (t) => {
  t.test('when a delivery of it is encoded, then both headers decode to what was encoded', async (t) => {
    const meta = event({ direction: 'outbound', source_id: null, destination_ids: ['dst_1'] });
    const out = encodeDeliveryHeaders(meta, delivery);
    t.equal(out[DELIVERY_HEADER], asciiJson(delivery));
    t.same(decodeDeliveryMeta(out), { event: meta, delivery });
  });
});
