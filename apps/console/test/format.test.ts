import t from 'tap';
import { formText, healthOf, inkFor, ms, num, parseJson, pct, relative, shortId } from '../src/format.ts';

t.test('a destination is described in one word', async (t) => {
  t.equal(healthOf(false, { circuit: 'closed', success_rate: 1 }), 'paused', 'paused wins over everything');
  t.equal(healthOf(true, { circuit: 'open', success_rate: 1 }), 'open', 'an open circuit is failing whatever the rate');
  t.equal(healthOf(true, { circuit: 'half_open', success_rate: 0 }), 'half_open');
  t.equal(healthOf(true, { circuit: null, success_rate: 0 }), 'failing', 'no circuit, 0% success: failing');
  t.equal(healthOf(true, { circuit: 'closed', success_rate: 0.49 }), 'failing');
  t.equal(healthOf(true, { circuit: 'closed', success_rate: 0.9 }), 'degraded');
  t.equal(healthOf(true, { circuit: 'closed', success_rate: 0.95 }), 'closed');
  t.equal(healthOf(true, { circuit: null, success_rate: null }), 'closed', 'no attempts in the range: nothing wrong');
  t.equal(healthOf(true, undefined), 'closed');
});

t.test('ids show their tail, which tells time-ordered ids apart', async (t) => {
  t.equal(shortId('01a2511a-42d5-7797-abc9-eeef87cd8bd0'), '…87cd8bd0');
  t.equal(shortId('evt_1'), 'evt_1');
});

t.test('times are relative to now', async (t) => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  t.equal(relative('2026-12-07T11:59:50Z', now), '10 seconds ago');
  t.equal(relative('2026-12-07T11:55:00Z', now), '5 minutes ago');
  t.equal(relative('2026-12-07T09:00:00Z', now), '3 hours ago');
  t.equal(relative('2026-12-05T12:00:00Z', now), '2 days ago');
  t.equal(relative('2026-12-07T12:10:00Z', now), 'in 10 minutes');
});

t.test('numbers, rates and durations', async (t) => {
  t.equal(pct(1), '100%');
  t.equal(pct(0), '0%');
  t.equal(pct(0.9876), '98.8%');
  t.equal(pct(null), '—');
  t.equal(ms(12.4), '12 ms');
  t.equal(ms(1500), '1.5 s');
  t.equal(ms(undefined), '—');
  t.equal(num(1234567), '1,234,567');
});

t.test('JSON typed into a field: empty is null, bad JSON names the field', async (t) => {
  t.same(parseJson('  ', 'Headers'), { ok: true, value: null });
  t.same(parseJson('{"a":1}', 'Headers'), { ok: true, value: { a: 1 } });
  const bad = parseJson('{a:1}', 'Payload filter');
  t.equal(bad.ok, false);
  t.match(!bad.ok && bad.error, /^Payload filter is not valid JSON: /);
});

t.test('a form field is read as text: a missing or file field is empty, never "null"', async (t) => {
  const f = new FormData();
  f.set('name', ' billing ');
  f.set('upload', new Blob(['x']), 'x.txt');
  t.equal(formText(f, 'name'), ' billing ', 'as typed; callers trim');
  t.equal(formText(f, 'absent'), '');
  t.equal(formText(f, 'upload'), '');
});

t.test('text on a brand colour is black or white, whichever reads', async (t) => {
  t.equal(inkFor('#ffffff'), '#111111');
  t.equal(inkFor('#ffd500'), '#111111');
  t.equal(inkFor('#1f5fcf'), '#ffffff');
  t.equal(inkFor('#000'), '#ffffff', 'three-digit colours too');
});
