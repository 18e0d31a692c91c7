// The console's session over the whole system and real HTTP: the live events stream opened with the
// cookie shows the account's events and ends when the session is signed out.
import t from 'tap';
import { waitFor } from '@hookstream/testkit';
import { client, startSystem } from './harness.ts';

t.test('a live stream opened with the session cookie ends at sign-out', async (t) => {
  const gw = await startSystem(t);
  const base = gw.url as string;
  const anon = client(base);
  const acme = (await anon.call('POST', '/v1/accounts', { name: 'acme' })).json.data;
  const api = client(base, acme.api_key);
  const source = (await api.call('POST', '/v1/sources', { name: 'shop' })).json.data;

  const signIn = await fetch(`${base}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: acme.api_key }),
  });
  t.equal(signIn.status, 200);
  const cookie = (signIn.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
  t.match(cookie, /^hs_console=[A-Za-z0-9_-]{43}$/);

  const ctl = new AbortController();
  t.teardown(() => ctl.abort());
  const res = await fetch(`${base}/v1/events/live`, {
    headers: { cookie, accept: 'text/event-stream' },
    signal: ctl.signal,
  });
  t.equal(res.status, 200, 'EventSource sends the cookie: the stream opens with it');
  const stream = { text: '', ended: false };
  void (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        stream.text += dec.decode(chunk, { stream: true });
    } catch {
      /* aborted */
    }
    stream.ended = true;
  })();

  const accepted = (await api.ingest(source.path_token, '{"n":1}', { 'x-event-type': 'order.created' })).json.data;
  await waitFor(() => stream.text.includes(accepted.id), {
    timeoutMs: 20_000,
    message: 'the event appears on the stream',
  });
  t.equal(stream.ended, false);

  const out = await fetch(`${base}/console/session`, {
    method: 'DELETE',
    headers: { cookie, 'x-hookstream-console': '1' },
  });
  t.equal(out.status, 200);
  await waitFor(() => stream.ended, { timeoutMs: 10_000, message: 'the stream ends with its session' });
  const again = await fetch(`${base}/v1/events/live`, { headers: { cookie } });
  t.equal(again.status, 401, 'and cannot be opened again');
});
