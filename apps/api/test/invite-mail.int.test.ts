// Invitations mailed through a real SMTP server (smtp-server, started here) when SMTP_URL is set;
// an SMTP server out of reach leaves the invitation and its link as they are.
import t, { type Test } from 'tap';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { startApi } from './harness.ts';

interface Received {
  from: string;
  to: string[];
  data: string;
}

async function startSmtp(t: Test): Promise<{ url: string; mails: Received[] }> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        });
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, mails };
}

const owner = { email: 'olga@example.com', name: 'Olga', password: 'a long enough password' };

t.test('with SMTP_URL, an invitation is mailed with its link', async (t) => {
  const smtp = await startSmtp(t);
  const { app } = await startApi(t, { smtpUrl: smtp.url, mailFrom: 'Hookstream <hooks@example.com>' });
  const key = (await app.inject({ method: 'POST', url: '/v1/accounts', payload: { name: 'Acme', owner } })).json().data
    .api_key;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/invites',
    headers: { authorization: `Bearer ${key}` },
    payload: { email: 'Vic@Example.com', role: 'viewer' },
  });
  t.equal(res.statusCode, 201);
  t.equal(res.json().data.mailed, true);
  t.equal(smtp.mails.length, 1);
  const mail = smtp.mails[0] as Received;
  t.same(mail.to, ['vic@example.com']);
  t.equal(mail.from, 'hooks@example.com');
  t.match(mail.data, /Subject: You are invited to Acme on Hookstream/);
  // Quoted-printable may fold the link; unfold soft line breaks before looking for it.
  t.ok(mail.data.replace(/=\r?\n/g, '').includes(res.json().data.url), 'the mail carries the link');
  t.match(mail.data, /as viewer/);
});

t.test('an SMTP server out of reach: the invitation stands, its link is answered, mailed is false', async (t) => {
  const { app } = await startApi(t, { smtpUrl: 'smtp://127.0.0.1:9', mailFrom: 'Hookstream <hooks@example.com>' });
  const key = (await app.inject({ method: 'POST', url: '/v1/accounts', payload: { name: 'Acme', owner } })).json().data
    .api_key;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/invites',
    headers: { authorization: `Bearer ${key}` },
    payload: { email: 'vic@example.com', role: 'viewer' },
  });
  t.equal(res.statusCode, 201);
  t.equal(res.json().data.mailed, false);
  t.match(res.json().data.url, /\/console\/invite#/);
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/invites', headers: { authorization: `Bearer ${key}` } })).json().data
      .length,
    1,
  );
});

t.test('without SMTP_URL nothing is mailed', async (t) => {
  const { app } = await startApi(t);
  const key = (await app.inject({ method: 'POST', url: '/v1/accounts', payload: { name: 'Acme', owner } })).json().data
    .api_key;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/invites',
    headers: { authorization: `Bearer ${key}` },
    payload: { email: 'vic@example.com', role: 'viewer' },
  });
  t.equal(res.json().data.mailed, false);
});
