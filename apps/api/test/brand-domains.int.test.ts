import t, { type Test } from 'tap';
import dns2 from 'dns2';
import { apiOn, create, signup, startApi } from './harness.ts';

/** A DNS server of the test's own, answering TXT queries from a table. */
async function startDns(t: Test, records: Map<string, string[]>): Promise<number> {
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = dns2.Packet.createResponseFromRequest(request);
      const q = request.questions[0];
      for (const value of (q && records.get(q.name.toLowerCase())) ?? []) {
        response.answers.push({ name: q!.name, type: dns2.Packet.TYPE.TXT, class: dns2.Packet.CLASS.IN, ttl: 1, data: value } as never);
      }
      send(response);
    },
  });
  const listening = new Promise<void>((r) => server.on('listening', () => r()));
  server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  await listening;
  t.teardown(() => server.close());
  return (server.addresses().udp as { port: number }).port;
}

t.test('brand settings: upsert, get, validation, isolation', async (t) => {
  const { app } = await startApi(t);
  const a = await signup(app, 'a');
  const b = await signup(app, 'b');
  const empty = await app.inject({ method: 'GET', url: '/v1/brand-settings', headers: a.auth });
  t.equal(empty.statusCode, 200);
  t.equal(empty.json().data.name, null);
  const up = await app.inject({ method: 'POST', url: '/v1/brand-settings', headers: a.auth, payload: { name: 'Acme', logo_url: 'https://acme.example.com/logo.png', primary_color: '#112233' } });
  t.equal(up.statusCode, 200);
  const up2 = await app.inject({ method: 'POST', url: '/v1/brand-settings', headers: a.auth, payload: { accent_color: '#abc' } });
  t.same(
    { name: up2.json().data.name, primary: up2.json().data.primary_color, accent: up2.json().data.accent_color },
    { name: 'Acme', primary: '#112233', accent: '#abc' },
    'an upsert keeps the fields it does not name',
  );
  for (const bad of [{ primary_color: 'red' }, { logo_url: 'http://insecure.example.com/x.png' }, { logo_url: 'javascript:alert(1)' }, { support_email: 'nope' }, {}, { nope: 1 }]) {
    const r = await app.inject({ method: 'POST', url: '/v1/brand-settings', headers: a.auth, payload: bad });
    t.equal(r.statusCode, 400, JSON.stringify(bad));
  }
  const other = await app.inject({ method: 'GET', url: '/v1/brand-settings', headers: b.auth });
  t.equal(other.json().data.name, null, "B does not see A's brand");
});

t.test('custom domains: register, verify by DNS TXT through the configured resolver, refuse bad names', async (t) => {
  const records = new Map<string, string[]>();
  const port = await startDns(t, records);
  const first = await startApi(t);
  const { app } = await apiOn(t, first.natsUrl, { dnsServers: [`127.0.0.1:${port}`] });
  const a = await signup(app, 'a');
  const b = await signup(app, 'b');
  const d = await create(app, a, '/v1/custom-domains', { hostname: 'Hooks.Acme-Corp.com.' });
  t.equal(d.hostname, 'hooks.acme-corp.com');
  t.equal(d.status, 'pending');
  const v = d.verification as { type: string; name: string; value: string };
  t.equal(v.name, '_hookstream-challenge.hooks.acme-corp.com');

  const fail = await app.inject({ method: 'POST', url: `/v1/custom-domains/${d.id}/verify`, headers: a.auth });
  t.equal(fail.json().data.status, 'failed');
  t.match(fail.json().data.last_error, /TXT/);

  records.set(v.name, ['unrelated', v.value]);
  const ok = await app.inject({ method: 'POST', url: `/v1/custom-domains/${d.id}/verify`, headers: a.auth });
  t.equal(ok.json().data.status, 'verified');
  t.type(ok.json().data.verified_at, 'string');

  const taken = await app.inject({ method: 'POST', url: '/v1/custom-domains', headers: b.auth, payload: { hostname: 'hooks.acme-corp.com' } });
  t.equal(taken.statusCode, 409, 'a hostname has one owner');
  const notB = await app.inject({ method: 'POST', url: `/v1/custom-domains/${d.id}/verify`, headers: b.auth });
  t.equal(notB.statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/v1/custom-domains', headers: b.auth })).json().data.length, 0);
  t.equal((await app.inject({ method: 'GET', url: '/v1/custom-domains', headers: a.auth })).json().data.length, 1);

  for (const hostname of ['localhost', '127.0.0.1', 'a..b.com', '-bad.example.com', 'x'.repeat(64) + '.com', 'under_score.com', 'intranet', 'svc.internal', 'with space.com']) {
    const r = await app.inject({ method: 'POST', url: '/v1/custom-domains', headers: a.auth, payload: { hostname } });
    t.equal(r.statusCode, 400, hostname);
  }
  const idn = await create(app, a, '/v1/custom-domains', { hostname: 'bücher.de' });
  t.equal(idn.hostname, 'xn--bcher-kva.de', 'internationalised names are stored in ASCII form');
  const del = await app.inject({ method: 'DELETE', url: `/v1/custom-domains/${d.id}`, headers: a.auth });
  t.equal(del.statusCode, 204);
});
