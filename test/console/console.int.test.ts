// The console as a person uses it: real gateway (NATS, Postgres, every role), a real receiver, and
// Debian's Chromium finding controls by role and name. One browser for the whole file.
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { startSystem } from '../e2e/harness.ts';
import { api, axeViolations, ensureConsoleBuilt, launch } from './browser.ts';
import { type Seeded, seedAccount, sendWebhook } from './seed.ts';

// Inside page.evaluate the code runs in the browser; these names are the page's.
declare const document: any, window: any, location: any, localStorage: any, sessionStorage: any, getComputedStyle: any;

const TIMEOUT = 20_000;

async function noSeriousAxe(t: Test, page: Page, screen: string): Promise<void> {
  const v = await axeViolations(page);
  t.same(
    v.map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `${screen}: no serious or critical accessibility violations`,
  );
}

t.test('the console, end to end', async (t) => {
  ensureConsoleBuilt();
  const gw = await startSystem(t);
  const base = gw.url as string;
  const receiver = await startReceiver(t);
  const a: Seeded = await seedAccount(base, receiver, 'acme');
  const browser: Browser = await launch();
  t.teardown(() => browser.close());
  const ctx: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(TIMEOUT);
  const page = await ctx.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
  });
  let eventId = '';

  await t.test('a wrong key gets a clear message, the right one signs in', async (t) => {
    await page.goto(`${base}/console/`);
    await page.getByRole('button', { name: 'Use an API key' }).click();
    await page.getByLabel('API key').fill('hk_not_a_real_key_000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That API key is not valid.' }).waitFor();
    await noSeriousAxe(t, page, 'sign-in');
    // By keyboard alone: the field, Enter; then Tab reaches the skip link first.
    await page.getByLabel('API key').fill(a.key);
    await page.getByLabel('API key').press('Enter');
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.waitFor();
    for (const name of [
      'Overview',
      'Events',
      'Dead letters',
      'Destinations',
      'Sources',
      'Routes',
      'Event types',
      'API keys',
      'Exports',
      'Settings',
    ]) {
      t.ok(await nav.getByRole('link', { name, exact: true }).isVisible(), `navigation has ${name}`);
    }
    t.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible());
    const stored = await page.evaluate(
      () =>
        JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie + location.href,
    );
    t.notMatch(stored, a.key, 'the key is kept in no browser storage, readable cookie or URL');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.keyboard.press('Tab');
    t.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Skip to content',
      'the first Tab stop skips to the content',
    );
    await page.keyboard.press('Tab');
    t.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Overview',
      'then the navigation, in order',
    );
    await noSeriousAxe(t, page, 'overview');
  });

  await t.test('webhooks ingested appear live; one opens with its attempts; replay adds a delivery', async (t) => {
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByText('No events yet. Send a first webhook:').waitFor();
    t.match(
      await page.locator('pre').first().innerText(),
      a.source.ingest_url,
      'the empty state teaches the curl to the ingest URL',
    );
    await page.evaluate(() => ((window as unknown as { __same: number }).__same = 1));
    eventId = await sendWebhook(base, a, 'order.created', { id: 'ord_1', amount: 4200 });
    await sendWebhook(base, a, 'order.paid', { id: 'ord_1' });
    await sendWebhook(base, a, 'order.shipped', { id: 'ord_1' });
    const table = page.getByRole('table', { name: 'Events' });
    for (const type of ['order.created', 'order.paid', 'order.shipped'])
      await table.getByRole('cell', { name: type, exact: true }).waitFor();
    t.equal(
      await page.evaluate(() => (window as unknown as { __same?: number }).__same),
      1,
      'they appeared without a reload',
    );
    await table.getByRole('row').filter({ hasText: 'order.created' }).getByText('delivered').waitFor();
    await page.keyboard.press('/');
    t.equal(
      await page.evaluate(() => document.activeElement?.hasAttribute('data-search')),
      true,
      '`/` focuses the search field',
    );
    await noSeriousAxe(t, page, 'events');

    await table.getByRole('link', { name: 'order.created', exact: true }).click();
    await page.getByRole('heading', { name: 'order.created' }).waitFor();
    const attempts = page.getByRole('table', { name: 'Attempts to orders-service' });
    await attempts.getByText('200 · delivered').waitFor();
    t.match(await page.getByLabel('Event body').innerText(), /"amount": 4200/, 'the JSON body, pretty');
    t.match(
      await page.getByRole('region', { name: 'Delivery to orders-service' }).innerText(),
      /Routed by\s+order\.\* from shop/,
      'the route that sent it',
    );
    await noSeriousAxe(t, page, 'event detail');
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Replay queued: 1 new delivery.' }).waitFor();
    await page.getByRole('heading', { name: 'Deliveries (2)' }).waitFor();
    await waitFor(
      () =>
        page
          .getByText('200 · delivered')
          .count()
          .then((n) => n === 2),
      { timeoutMs: TIMEOUT, message: 'the replayed delivery attempted and shown' },
    );
    t.equal(
      receiver.requests.filter((r) => r.headers['x-hookstream-event-id'] === eventId).length,
      2,
      'the receiver got the event twice',
    );
  });

  await t.test('a failing destination: its health, its dead letters, a bulk replay run to the end', async (t) => {
    for (let i = 1; i <= 3; i++) await sendWebhook(base, a, 'invoice.created', { id: `inv_${i}` });
    await waitFor(async () => (await a.call('GET', '/v1/events?status=dead_letter')).json.data.length === 3, {
      timeoutMs: TIMEOUT,
      message: 'three dead letters',
    });

    await page.getByRole('link', { name: 'Destinations', exact: true }).click();
    const row = page
      .getByRole('table', { name: 'Destinations' })
      .getByRole('row')
      .filter({ hasText: 'billing-ledger' });
    await row.getByRole('cell', { name: '0%' }).waitFor();
    await noSeriousAxe(t, page, 'destinations');
    await row.getByRole('link', { name: 'billing-ledger' }).click();
    const failures = page.getByRole('table', { name: 'Latest failures' });
    await failures.getByText('500 · failed').first().waitFor();
    t.equal(await failures.getByRole('row').count(), 4, 'three failures under the header row');
    await noSeriousAxe(t, page, 'destination detail');

    await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
    const dl = page.getByRole('table', { name: 'Dead letters' });
    await waitFor(
      () =>
        dl
          .getByRole('row')
          .count()
          .then((n) => n === 4),
      { timeoutMs: TIMEOUT, message: 'three dead letters listed' },
    );
    t.match(await dl.innerText(), /billing ledger unavailable|500/, 'the last response is shown');
    await noSeriousAxe(t, page, 'dead letters');
    a.failing.billing = false;
    const before = receiver.requests.filter((r) => r.url.startsWith('/billing')).length;
    await dl.getByRole('checkbox').nth(1).check();
    await page.getByRole('button', { name: 'Replay selected (1)' }).click();
    await page.getByRole('status').filter({ hasText: '1 delivery replayed.' }).waitFor();
    await waitFor(() => receiver.requests.filter((r) => r.url.startsWith('/billing')).length === before + 1, {
      timeoutMs: TIMEOUT,
      message: 'the chosen one re-delivered',
    });
    await page.getByRole('button', { name: 'Replay all matching' }).click();
    const bar = page.getByRole('progressbar', { name: 'Bulk replay progress' });
    await waitFor(async () => (await bar.getAttribute('aria-valuenow')) === '100', {
      timeoutMs: TIMEOUT,
      message: 'the progress bar reaches its end',
    });
    await page.getByLabel('Bulk replay').getByText('completed').waitFor();
    await waitFor(() => receiver.requests.filter((r) => r.url.startsWith('/billing')).length >= before + 3, {
      timeoutMs: TIMEOUT,
      message: 'the other two re-delivered by the bulk replay',
    });
  });

  await t.test('rotate a secret: shown once, with a copy button', async (t) => {
    await page.getByRole('link', { name: 'Destinations', exact: true }).click();
    await page.getByRole('link', { name: 'orders-service' }).click();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const shown = page.getByRole('status', { name: 'New signing secret' });
    await shown.waitFor();
    t.match(await shown.innerText(), /whsec_/);
    t.ok(await shown.getByRole('button', { name: /Copy new signing secret/ }).isVisible(), 'a copy button beside it');
    await page.reload();
    await page.getByRole('heading', { name: 'orders-service' }).waitFor();
    t.equal(await page.getByRole('status', { name: 'New signing secret' }).count(), 0, 'not shown again');
    // A bad edit: the API's own message beside the form, and nothing saved.
    await page.getByLabel('URL', { exact: true }).fill('ftp://orders.internal');
    await page.getByRole('button', { name: 'Save destination' }).click();
    const refusal = await page.getByRole('region', { name: 'Settings' }).getByRole('alert').innerText();
    t.ok(refusal.length > 0, `the refusal is shown: ${refusal}`);
    t.match(
      (await a.call('GET', `/v1/destinations/${a.orders.id}`)).json.data.url,
      /\/orders$/,
      'the destination is unchanged',
    );
    await page.getByLabel('Headers (JSON)').fill('{not json');
    await page.getByRole('button', { name: 'Save destination' }).click();
    await page.getByText('Headers is not valid JSON').waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    t.equal((await a.call('GET', `/v1/destinations/${a.orders.id}`)).json.data.active, false, 'paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const sent = await page.getByRole('status').filter({ hasText: 'Test event sent:' }).innerText();
    const testId = sent.replace('Test event sent:', '').trim();
    await waitFor(async () => (await a.call('GET', `/v1/events/${testId}`)).json?.data?.status === 'delivered', {
      timeoutMs: TIMEOUT,
      message: 'the test event delivered',
    });
  });

  await t.test('create a key (shown once) and revoke it', async (t) => {
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByLabel('Key name').fill('ci-deploys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('status', { name: 'New API key' });
    const key = /hk_[A-Za-z0-9_-]+/.exec(await shown.innerText())?.[0] ?? '';
    t.match(key, /^hk_/);
    t.equal((await api(base, key)('GET', '/v1/account')).status, 200, 'the new key works');
    await noSeriousAxe(t, page, 'api keys');
    await page.getByRole('button', { name: 'Revoke ci-deploys' }).click();
    await page.getByRole('button', { name: 'Confirm revoke ci-deploys' }).click();
    await page
      .getByRole('table', { name: 'API keys' })
      .getByRole('row')
      .filter({ hasText: 'ci-deploys' })
      .getByText('revoked')
      .waitFor();
    t.equal((await api(base, key)('GET', '/v1/account')).status, 401, 'the revoked key is refused');
  });

  await t.test('every other screen renders without serious accessibility violations', async (t) => {
    for (const [name, heading] of [
      ['Sources', 'Sources'],
      ['Routes', 'Routes'],
      ['Event types', 'Event types'],
      ['Exports', 'Exports'],
      ['Settings', 'Settings'],
    ] as const) {
      await page.getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await noSeriousAxe(t, page, name);
    }
    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    await page.getByLabel('Name').fill('stripe-live');
    await page.getByLabel('Verification provider').selectOption('stripe');
    await page.getByLabel('Signing secret').fill('whsec_test_secret_1234');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('button', { name: 'Copy ingest URL of stripe-live' }).waitFor();
    t.match(
      await page
        .getByRole('table', { name: 'Sources' })
        .getByRole('row')
        .filter({ hasText: 'stripe-live' })
        .innerText(),
      /\/ingest\/src_[\s\S]*stripe/,
    );

    await page.getByRole('link', { name: 'Event types', exact: true }).click();
    await page.getByLabel('Name').fill('not a valid name!');
    await page.getByRole('button', { name: 'Create event type' }).click();
    t.ok((await page.getByRole('alert').innerText()).length > 0, 'the API refuses a bad name, in words');
    await page.getByLabel('Name').fill('order.created');
    await page.getByLabel('JSON Schema').fill('{"type": "object", "required": ["id"]}');
    await page.getByRole('button', { name: 'Create event type' }).click();
    await page.getByRole('table', { name: 'Event types' }).getByText('order.created').waitFor();

    await page.getByRole('link', { name: 'Routes', exact: true }).click();
    await page.getByRole('textbox', { name: 'Filter', exact: true }).fill('{"amount": {"$gte": 1000}}');
    await page.getByRole('textbox', { name: 'Payload', exact: true }).fill('{"amount": 4200}');
    await page.getByRole('button', { name: 'Test filter' }).click();
    await page.getByText('matches', { exact: true }).waitFor();
    const routes = page.getByRole('table', { name: 'Routes' });
    await page.getByRole('button', { name: 'Pause route to billing-ledger (invoice.*)' }).click();
    await routes.getByRole('row').filter({ hasText: 'billing-ledger' }).getByText('paused').waitFor();
    await page.getByRole('button', { name: 'Delete route to billing-ledger (invoice.*)' }).click();
    await page.getByRole('button', { name: 'Confirm delete route to billing-ledger (invoice.*)' }).click();
    await waitFor(
      () =>
        routes
          .getByRole('row')
          .count()
          .then((n) => n === 2),
      { timeoutMs: TIMEOUT, message: 'one route left under the header' },
    );
    t.equal((await a.call('GET', '/v1/routes')).json.data.length, 1, 'deleted on the server');

    await page.getByRole('link', { name: 'Exports', exact: true }).click();
    await page.getByRole('button', { name: 'Create export' }).click();
    const exports = page.getByRole('table', { name: 'Exports' });
    await exports.getByText('completed').waitFor();
    t.match(await exports.getByRole('link', { name: 'Download' }).getAttribute('href'), /\/v1\/exports\/.+\/download/);

    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Primary colour').fill('#aa3300');
    await page.getByRole('button', { name: 'Save brand' }).click();
    await waitFor(
      async () =>
        (await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim())) ===
        '#aa3300',
      {
        timeoutMs: TIMEOUT,
        message: 'the brand colour re-themes the console',
      },
    );
  });

  await t.test('a cross-site POST with the cookie is refused; a same-origin one without the header too', async (t) => {
    const keysBefore = (await a.call('GET', '/v1/api-keys')).json.data.length;
    // The gateway is at 127.0.0.1; a page at localhost is another site, posting a plain form.
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id=f method=POST action="${base}/v1/api-keys" enctype="text/plain"><input name='{"name":"evil","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => evil.close(() => r())));
    const evilPage = await ctx.newPage();
    const answer = evilPage.waitForResponse((r) => r.url().endsWith('/v1/api-keys'));
    await evilPage.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
    t.ok([401, 403].includes((await answer).status()), 'the forged POST is refused');
    await evilPage.close();
    const direct = await page.evaluate(async () => {
      const r = await fetch('/v1/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"no-header"}',
      });
      return { status: r.status, body: (await r.json()) as { code?: string } };
    });
    t.equal(direct.status, 403);
    t.equal(direct.body.code, 'csrf_header_missing');
    t.equal((await a.call('GET', '/v1/api-keys')).json.data.length, keysBefore, 'no key was created');
  });

  await t.test('sign out ends the session', async (t) => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    const after = await page.evaluate(async () => (await fetch('/v1/events')).status);
    t.equal(after, 401, 'the API refuses the browser afterwards');
    await page.goto(`${base}/console/events`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  await t.test("a second account sees none of the first's events", async (t) => {
    const b = await api(base)('POST', '/v1/accounts', { name: 'globex' });
    const other = await browser.newContext({ viewport: { width: 390, height: 844 } });
    t.teardown(() => other.close());
    other.setDefaultTimeout(TIMEOUT);
    const p = await other.newPage();
    await p.goto(`${base}/console/events`);
    await p.getByRole('button', { name: 'Use an API key' }).click();
    await p.getByLabel('API key').fill(b.json.data.api_key);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Events' }).waitFor();
    await p.getByText('No events yet.').waitFor();
    t.equal(await p.getByText('order.created').count(), 0);
    t.equal(
      await p.evaluate(async (id) => (await fetch(`/v1/events/${id}`)).status, eventId),
      404,
      "the first account's event is not found",
    );
    await p.goto(`${base}/console/events/${eventId}`);
    await p.getByRole('alert').waitFor();
    await noSeriousAxe(t, p, 'events at phone width');

    // Its key revoked elsewhere while Events is open and live: the stream ends, the session is found
    // ended, and the sign-in form returns without anyone touching the page.
    await p.getByRole('link', { name: 'Events', exact: true }).click();
    await p.getByText('Live: new events appear as they arrive').waitFor();
    const keys = await api(base, b.json.data.api_key)('GET', '/v1/api-keys');
    await api(base, b.json.data.api_key)('DELETE', `/v1/api-keys/${keys.json.data[0].id}`);
    await p.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  t.same(pageErrors, [], 'no script error and no CSP refusal in the page');
  // Before the gateway stops: its live event streams end with the pages that hold them.
  await browser.close();
});
