// The customer portal as a SaaS's customer uses it: the whole gateway (NATS, Postgres, every role), a
// receiver the customer owns, and Debian's Chromium finding controls by role and name. A second
// origin served here embeds the portal in an iframe. With PORTAL_SCREENSHOTS=1 it also writes
// docs/portal/*.png.
import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { verifyWebhook } from '@hookstream/sdk';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { startSystem } from '../e2e/harness.ts';
import { api, axeViolations, ensureConsoleBuilt, launch } from '../console/browser.ts';

// Inside page.evaluate the code runs in the browser; these names are the page's.
declare const document: any, window: any, getComputedStyle: any, fetch: any;

const TIMEOUT = 20_000;
const SHOTS =
  process.env.PORTAL_SCREENSHOTS === '1'
    ? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'portal')
    : null;

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function noSeriousAxe(t: Test, page: Page, screen: string): Promise<void> {
  const v = await axeViolations(page);
  t.same(
    v.map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `${screen}: no serious or critical accessibility violations`,
  );
}

const headerOf = (h: Record<string, string | string[] | undefined>, k: string) => String(h[k] ?? '');

t.test('the customer portal, end to end', async (t) => {
  ensureConsoleBuilt();
  const gw = await startSystem(t);
  const base = gw.url as string;
  const receiver = await startReceiver(t);
  const failing = { on: true };
  receiver.respond((req) =>
    req.url.startsWith('/billing') && failing.on
      ? { status: 503, headers: { 'content-type': 'application/json' }, body: '{"error":"ledger down"}' }
      : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"received":true}' },
  );

  // The SaaS's side, with its API key: an account, its brand, its event types, and endpoints it made
  // for two customers.
  const anon = api(base);
  const acct = await anon('POST', '/v1/accounts', { name: 'Acme Billing' });
  const key = acct.json.data.api_key as string;
  const accountId = acct.json.data.account.id as string;
  const saas = api(base, key);
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await saas(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json?.data;
  };
  await must('POST', '/v1/brand-settings', { name: 'Acme Billing', primary_color: '#aa3300' });
  await must('POST', '/v1/event-types', {
    name: 'invoice.paid',
    description: 'An invoice was paid in full.',
    schema: {
      type: 'object',
      required: ['invoice_id'],
      properties: {
        invoice_id: { type: 'string', examples: ['inv_1001'] },
        amount: { type: 'integer', minimum: 100 },
        currency: { enum: ['eur', 'usd'] },
      },
    },
  });
  await must('POST', '/v1/event-types', {
    name: 'order.created',
    description: 'A customer placed an order.',
    schema: { type: 'object', properties: { order_id: { type: 'string', examples: ['ord_42'] } } },
  });
  const billing = await must('POST', '/v1/destinations', {
    name: 'Billing ledger',
    url: `${receiver.url}/billing`,
    customer_id: 'cus_x',
    retry_policy: { max_attempts: 1 },
  });
  await must('POST', '/v1/routes', { destination_id: billing.id, event_type_pattern: 'invoice.paid' });
  const ofY = await must('POST', '/v1/destinations', {
    name: 'Y hooks',
    url: `${receiver.url}/y`,
    customer_id: 'cus_y',
  });
  await must('POST', '/v1/routes', { destination_id: ofY.id, event_type_pattern: 'invoice.paid' });
  const yEvent = await must('POST', '/v1/outbound-events', {
    event_type: 'invoice.paid',
    payload: { invoice_id: 'inv_y' },
    customer_id: 'cus_y',
  });
  // The system runs on a port of its own, not PUBLIC_URL's: the link's path and fragment, on it.
  const link = async (scope: 'read' | 'manage', customer = 'cus_x', extra: object = {}) => {
    const s = (await must('POST', '/v1/portal-sessions', { customer_id: customer, scope, ...extra })) as {
      id: string;
      url: string;
    };
    const u = new URL(s.url);
    return { id: s.id, url: `${base}${u.pathname}${u.hash}` };
  };

  const browser: Browser = await launch();
  t.teardown(() => browser.close());
  const newPage = async (
    width = 1280,
    height = 900,
  ): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> => {
    const ctx = await browser.newContext({ viewport: { width, height } });
    ctx.setDefaultTimeout(TIMEOUT);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/.test(m.text())) errors.push(m.text());
    });
    return { ctx, page, errors };
  };

  const manageLink = await link('manage');
  const { page, errors } = await newPage();
  let endpointId = '';
  let secret = '';

  await t.test('the link opens the portal, branded, and leaves no token behind', async (t) => {
    t.match(manageLink.url, `${base}/portal/${accountId}/#token=`);
    await page.goto(manageLink.url);
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    t.notMatch(page.url(), /token/, 'the token is gone from the address');
    const accent = await page.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
    );
    t.equal(accent, '#aa3300', 'the brand colour is the accent');
    const navBg = await page
      .getByRole('link', { name: 'Endpoints', exact: true })
      .evaluate((el: unknown) => getComputedStyle(el).backgroundColor);
    t.equal(navBg, 'rgb(170, 51, 0)', 'and the current section wears it');
    t.match(await page.title(), /Acme Billing/);
    t.ok(await page.getByRole('cell', { name: /Billing ledger/ }).isVisible(), "the customer's endpoint is listed");
    t.notOk(await page.getByText('Y hooks').count(), "another customer's is not");
    await noSeriousAxe(t, page, 'endpoints');
    await shot(page, 'endpoints');
  });

  await t.test('add an endpoint, subscribe it to a type, send a test event and see it arrive', async (t) => {
    await page.getByLabel('Endpoint URL').fill(`${receiver.url}/orders`);
    await page.getByLabel('Description').fill('Order sync');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const shown = page.getByRole('status', { name: 'Signing secret' });
    await shown.waitFor();
    secret = (await shown.locator('code').innerText()).trim();
    t.match(secret, /^whsec_/, 'the secret is shown once');
    await page.getByRole('button', { name: 'Choose its event types' }).click();
    await page.getByRole('heading', { name: 'Order sync' }).waitFor();
    endpointId = decodeURIComponent(page.url().split('/endpoints/')[1] ?? '');
    const made = await must('GET', `/v1/destinations/${endpointId}`);
    t.equal(made.customer_id, 'cus_x', 'the endpoint belongs to the session’s customer');

    await page.getByRole('checkbox', { name: 'order.created' }).check();
    await page.getByRole('button', { name: 'Save event types' }).click();
    await page.getByText('Event types saved.').waitFor();
    const routes = await must('GET', `/v1/routes?destination_id=${endpointId}`);
    t.same(
      routes.map((r: { event_type_pattern: string }) => r.event_type_pattern),
      ['order.created'],
    );

    // Published by the SaaS for this customer: it reaches the new endpoint.
    await must('POST', '/v1/outbound-events', {
      event_type: 'order.created',
      payload: { order_id: 'ord_1' },
      customer_id: 'cus_x',
    });
    await waitFor(() => receiver.requests.some((r) => r.url === '/orders' && r.body.toString().includes('ord_1')), {
      timeoutMs: TIMEOUT,
    });

    const test = page.getByRole('region', { name: 'Test' });
    await test.getByLabel('Event type').selectOption('order.created');
    t.match(
      await test.getByLabel('Payload').inputValue(),
      /"order_id": "ord_42"/,
      'the payload is the example from the schema',
    );
    await test.getByRole('button', { name: 'Send test event' }).click();
    const result = page.getByRole('status', { name: 'Test result' });
    await result.getByText('HTTP 200').waitFor();
    t.match(await result.innerText(), /received/, "the endpoint's answer is shown");
    const got = receiver.requests.filter((r) => r.url === '/orders' && r.body.toString().includes('ord_42'));
    t.equal(got.length, 1, 'the test event arrived');
    t.doesNotThrow(
      () => verifyWebhook({ secret, headers: got[0]!.headers, body: got[0]!.body }),
      'signed with the secret shown',
    );
    await noSeriousAxe(t, page, 'endpoint');
    await shot(page, 'endpoint');
  });

  await t.test('rotate the secret: during the overlap both secrets verify', async (t) => {
    const region = page.getByRole('region', { name: 'Signing secret' });
    await region.getByLabel('Old secret stays valid for').selectOption({ label: '1 hour' });
    await region.getByRole('button', { name: 'Rotate secret' }).click();
    const fresh = (await page.getByRole('status', { name: 'New signing secret' }).locator('code').innerText()).trim();
    t.match(fresh, /^whsec_/);
    t.not(fresh, secret);
    await region.getByRole('button', { name: 'Reveal secret' }).click();
    const revealed = await page.getByLabel('Revealed secret').innerText();
    t.match(revealed, fresh, 'reveal shows the new secret');
    t.match(revealed, secret, 'and the old one, still valid');
    await shot(page, 'rotate-secret');
    const n = receiver.requests.length;
    await page.getByRole('region', { name: 'Test' }).getByRole('button', { name: 'Send test event' }).click();
    const [req] = (await receiver.waitForCount(n + 1, TIMEOUT)).slice(n);
    const headers = req!.headers as Record<string, string>;
    t.equal(headerOf(headers, 'webhook-signature').split(' ').length, 2, 'two signatures during the overlap');
    t.doesNotThrow(() => verifyWebhook({ secret: fresh, headers, body: req!.body }), 'the new secret verifies');
    t.doesNotThrow(() => verifyWebhook({ secret, headers, body: req!.body }), 'the old secret verifies');
  });

  await t.test('a failed message is shown with its attempts; replayed, it arrives', async (t) => {
    const failed = await must('POST', '/v1/outbound-events', {
      event_type: 'invoice.paid',
      payload: { invoice_id: 'inv_1' },
      customer_id: 'cus_x',
    });
    await waitFor(
      async () => (await saas('GET', `/v1/outbound-events/${failed.id}`)).json?.data?.status === 'dead_letter',
      { timeoutMs: TIMEOUT },
    );
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.getByLabel('Status').selectOption('dead_letter');
    await page.getByRole('button', { name: 'Apply' }).click();
    const table = page.getByRole('table', { name: 'Messages' });
    await table.getByRole('row').filter({ hasText: 'invoice.paid' }).getByText('dead-lettered').waitFor();
    t.notOk(await table.getByText(yEvent.id.slice(-8)).count(), "another customer's message is not listed");
    await noSeriousAxe(t, page, 'messages');
    await shot(page, 'messages');
    await table.getByRole('link', { name: 'invoice.paid' }).first().click();
    const delivery = page.getByRole('region', { name: 'Delivery to Billing ledger' });
    await delivery.getByRole('table', { name: 'Attempts' }).getByText('HTTP 503').waitFor();
    t.match(await page.getByLabel('Payload').innerText(), /inv_1/);
    await shot(page, 'message');
    failing.on = false;
    const n = receiver.requests.filter((r) => r.url === '/billing').length;
    await delivery.getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Sent again: a new delivery follows.').waitFor();
    await waitFor(() => receiver.requests.filter((r) => r.url === '/billing').length > n, { timeoutMs: TIMEOUT });
    await page
      .getByRole('region', { name: 'Delivery to Billing ledger' })
      .filter({ hasText: 'HTTP 200' })
      .first()
      .waitFor();
    t.pass('the replay is delivered and shows in the message');
  });

  await t.test('recover failed messages since a time, with progress', async (t) => {
    failing.on = true;
    const ids: string[] = [];
    for (const inv of ['inv_2', 'inv_3'])
      ids.push(
        (
          await must('POST', '/v1/outbound-events', {
            event_type: 'invoice.paid',
            payload: { invoice_id: inv },
            customer_id: 'cus_x',
          })
        ).id,
      );
    // Y's failed message is not X's to recover.
    for (const id of ids)
      await waitFor(async () => (await saas('GET', `/v1/outbound-events/${id}`)).json?.data?.status === 'dead_letter', {
        timeoutMs: TIMEOUT,
      });
    failing.on = false;
    const before = receiver.requests.filter((r) => r.url === '/billing').length;
    const yBefore = receiver.requests.filter((r) => r.url === '/y').length;
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    const recover = page.getByRole('region', { name: 'Recover failed messages' });
    await recover.getByRole('button', { name: 'Recover' }).click();
    await recover.getByText('completed').waitFor();
    t.equal(await recover.getByRole('progressbar', { name: 'Recovery progress' }).getAttribute('aria-valuenow'), '100');
    await shot(page, 'recover');
    await waitFor(() => receiver.requests.filter((r) => r.url === '/billing').length >= before + 2, {
      timeoutMs: TIMEOUT,
    });
    const again = receiver.requests
      .filter((r) => r.url === '/billing')
      .slice(before)
      .map((r) => JSON.parse(r.body.toString()).invoice_id);
    t.same(again.sort(), ['inv_2', 'inv_3'], 'both failed messages arrive again');
    t.equal(
      receiver.requests.filter((r) => r.url === '/y').length,
      yBefore,
      "nothing went to another customer's endpoint",
    );
  });

  await t.test('the event catalog shows each type with its schema and an example', async (t) => {
    await page.getByRole('link', { name: 'Event catalog', exact: true }).click();
    await page.getByText('invoice.paid').first().click();
    t.match(
      await page.getByRole('region', { name: 'Example of invoice.paid' }).innerText(),
      /"invoice_id": "inv_1001"/,
    );
    t.match(await page.getByRole('region', { name: 'Schema of invoice.paid' }).innerText(), /"required"/);
    await noSeriousAxe(t, page, 'catalog');
    await shot(page, 'catalog');
  });

  await t.test("customer Y's ids typed into X's session are not found", async (t) => {
    await page.goto(`${base}/portal/${accountId}/endpoints/${ofY.id}`);
    await page.getByRole('alert').filter({ hasText: 'destination not found' }).waitFor();
    await page.goto(`${base}/portal/${accountId}/messages/${yEvent.id}`);
    await page.getByRole('alert').filter({ hasText: 'event not found' }).waitFor();
    const statuses = await page.evaluate(
      async (ids: { d: string; e: string }) => {
        const h = { 'x-hookstream-console': '1', 'x-hookstream-portal': '1', 'content-type': 'application/json' };
        const s = async (method: string, path: string, body?: unknown) =>
          (await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }))
            .status;
        return [
          await s('GET', `/v1/destinations/${ids.d}`),
          await s('PATCH', `/v1/destinations/${ids.d}`, { active: false }),
          await s('GET', `/v1/destinations/${ids.d}/secret`),
          await s('GET', `/v1/outbound-events/${ids.e}`),
          await s('POST', `/v1/outbound-events/${ids.e}/replay`, { destination_id: ids.d }),
        ];
      },
      { d: ofY.id, e: yEvent.id },
    );
    t.same(statuses, [404, 404, 404, 404, 404]);
    t.equal((await must('GET', `/v1/destinations/${ofY.id}`)).active, true, "Y's endpoint is untouched");
  });

  await t.test(
    'a read-only session shows no control that changes anything, and its forged requests get 403',
    async (t) => {
      const r = await newPage();
      await r.page.goto((await link('read')).url);
      await r.page.getByRole('heading', { name: 'Endpoints' }).waitFor();
      t.ok(await r.page.getByText('view only').isVisible());
      await r.page.getByRole('link', { name: 'Billing ledger' }).click();
      await r.page.getByRole('heading', { name: 'Billing ledger' }).waitFor();
      await r.page.getByRole('region', { name: 'Event types' }).waitFor();
      await shot(r.page, 'read-only');
      await r.page.getByRole('link', { name: 'Messages', exact: true }).click();
      await r.page.getByRole('table', { name: 'Messages' }).waitFor();
      await r.page.getByRole('table', { name: 'Messages' }).getByRole('link').first().click();
      await r.page.getByRole('heading', { name: 'Payload' }).waitFor();
      for (const path of ['/endpoints', `/endpoints/${billing.id}`, '/messages', '/catalog']) {
        await r.page.goto(`${base}/portal/${accountId}${path}`);
        await r.page.getByRole('navigation', { name: 'Portal' }).waitFor();
        await r.page.waitForLoadState('networkidle');
        const buttons = (await r.page.getByRole('button').allInnerTexts())
          .map((b) => b.trim())
          .filter((b) => !['Sign out', 'Copy', 'Apply', 'Older messages'].includes(b));
        t.same(buttons, [], `${path}: no mutating control`);
        t.equal(await r.page.getByRole('checkbox').count(), 0);
      }
      const forged = await r.page.evaluate(async (id: string) => {
        const h = { 'x-hookstream-console': '1', 'x-hookstream-portal': '1', 'content-type': 'application/json' };
        return [
          (await fetch(`/v1/destinations/${id}`, { method: 'PATCH', headers: h, body: '{"active":false}' })).status,
          (await fetch(`/v1/destinations/${id}/rotate-secret`, { method: 'POST', headers: h, body: '{}' })).status,
          (
            await fetch('/v1/destinations', {
              method: 'POST',
              headers: h,
              body: JSON.stringify({ name: 'n', url: 'https://example.com/x' }),
            })
          ).status,
          (await fetch(`/v1/destinations/${id}/secret`, { headers: h })).status,
        ];
      }, billing.id as string);
      t.same(forged, [403, 403, 403, 403]);
      await r.ctx.close();
    },
  );

  await t.test("the session is not shown under another account's portal address", async (t) => {
    const other = await anon('POST', '/v1/accounts', { name: 'Globex' });
    await page.goto(`${base}/portal/${other.json.data.account.id as string}/`);
    await page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
    t.equal(await page.getByRole('navigation', { name: 'Portal' }).count(), 0);
  });

  await t.test('a reused, a revoked and an expired link open nothing', async (t) => {
    const expectNothing = async (url: string, what: string) => {
      const p = await newPage();
      await p.page.goto(url);
      await p.page.getByRole('heading', { name: 'This link does not open the portal' }).waitFor();
      t.equal(await p.page.getByRole('navigation', { name: 'Portal' }).count(), 0, `${what}: no portal`);
      const s = await p.page.evaluate(
        async () => (await fetch('/v1/destinations', { headers: { 'x-hookstream-portal': '1' } })).status,
      );
      t.equal(s, 401, `${what}: no session`);
      if (what === 'reused') await shot(p.page, 'link-used');
      await p.ctx.close();
    };
    await expectNothing(manageLink.url, 'reused');
    const revoked = await link('manage');
    await must('DELETE', `/v1/portal-sessions/${revoked.id}`);
    await expectNothing(revoked.url, 'revoked');
    const short = await link('manage', 'cus_x', { expires_in_s: 1 });
    const expires = Date.parse(
      (await must('GET', `/v1/portal-sessions?customer_id=cus_x`)).find((s: { id: string }) => s.id === short.id)
        .expires_at,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 500));
    await expectNothing(short.url, 'expired');
  });

  await t.test('framed by an unlisted origin the page is refused; listed, it loads and posts its height', async (t) => {
    const parent = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      const src = decodeURIComponent((req.url ?? '').replace(/^\/\?src=/, ''));
      res.end(
        `<!doctype html><title>Host app</title><script>window.heights=[];addEventListener('message',e=>{if(e.data&&e.data.type==='hookstream:portal-height')heights.push(e.data.height)})</script><iframe title="Portal" src="${src}" width="900" height="600"></iframe>`,
      );
    });
    await new Promise<void>((r) => parent.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => parent.close(() => r())));
    const origin = `http://127.0.0.1:${(parent.address() as AddressInfo).port}`;
    const frameOf = (p: Page) => p.frames().find((f) => f !== p.mainFrame());

    const unlisted = await newPage();
    const refused: string[] = [];
    unlisted.page.on('console', (m) => refused.push(m.text()));
    await unlisted.page.goto(`${origin}/?src=${encodeURIComponent((await link('read')).url)}`);
    await waitFor(() => refused.some((m) => /frame-ancestors/.test(m)), { timeoutMs: TIMEOUT });
    t.pass('the browser refused to frame the portal (frame-ancestors)');
    t.equal(await frameOf(unlisted.page)?.locator('nav').count(), 0, 'nothing of the portal rendered in the frame');
    await unlisted.ctx.close();

    await must('POST', '/v1/brand-settings', { embed_origins: [origin] });
    const listed = await newPage();
    await listed.page.goto(`${origin}/?src=${encodeURIComponent((await link('read')).url)}`);
    await waitFor(async () => (await frameOf(listed.page)?.getByRole('navigation', { name: 'Portal' }).count()) === 1, {
      timeoutMs: TIMEOUT,
    });
    await waitFor(async () => (await listed.page.evaluate(() => window.heights.length)) > 0, { timeoutMs: TIMEOUT });
    await frameOf(listed.page)!.getByRole('heading', { name: 'Endpoints' }).waitFor();
    const inner = await frameOf(listed.page)!.evaluate(() =>
      Math.ceil(document.documentElement.getBoundingClientRect().height),
    );
    await waitFor(async () => ((await listed.page.evaluate(() => window.heights)) as number[]).at(-1) === inner, {
      timeoutMs: TIMEOUT,
    });
    const heights = (await listed.page.evaluate(() => window.heights)) as number[];
    t.ok(
      heights.every((h) => h > 0),
      `the parent hears the content height as it changes (${heights.join(', ')} px)`,
    );
    await listed.ctx.close();
  });

  await t.test('at a phone’s width the portal still works', async (t) => {
    const p = await newPage(390, 844);
    await p.page.goto((await link('manage')).url);
    await p.page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    const overflow = await p.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    t.ok(overflow <= 1, `no sideways scrolling (${overflow} px)`);
    await shot(p.page, 'phone-endpoints');
    await p.page.getByRole('link', { name: 'Messages', exact: true }).click();
    await p.page.getByRole('table', { name: 'Messages' }).waitFor();
    await shot(p.page, 'phone-messages');
    await p.ctx.close();
  });

  t.same(errors, [], 'no page errors and no CSP violations in the portal');
});
