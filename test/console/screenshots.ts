// `make screenshots`: a seeded run of the whole system, every console screen photographed into
// docs/console/ (laptop width; a few at phone width and in dark mode). Run with node, not in `make test`.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { startSystem } from '../e2e/harness.ts';
import { ensureConsoleBuilt, launch } from './browser.ts';
import { seedAccount, sendWebhook } from './seed.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'console');
const ONLY = process.env.SCREENS?.split(',');

// Run with node directly, tap's default of 30 s for the whole file is too short for a seeded run.
t.setTimeout(300_000);

t.test('screenshots', async (t) => {
  ensureConsoleBuilt();
  mkdirSync(out, { recursive: true });
  const gw = await startSystem(t);
  const base = gw.url as string;
  const receiver = await startReceiver(t);
  const a = await seedAccount(base, receiver, 'Acme Shop');

  // A morning's traffic: orders delivered, invoices failing into dead letters, one replayed.
  const types = ['order.created', 'order.paid', 'order.shipped', 'order.refunded'];
  let first = '';
  for (let i = 0; i < 24; i++) {
    const id = await sendWebhook(base, a, types[i % types.length]!, {
      id: `ord_${1000 + i}`,
      amount: 1200 + i * 75,
      currency: 'eur',
      customer: { id: `cus_${i % 5}`, email: `buyer${i % 5}@example.com` },
    });
    if (i === 0) first = id;
  }
  for (let i = 0; i < 5; i++) await sendWebhook(base, a, 'invoice.finalized', { id: `in_${i}`, total: 9900 });
  await waitFor(async () => (await a.call('GET', '/v1/events?status=dead_letter')).json.data.length === 5, {
    timeoutMs: 30_000,
    message: 'dead letters',
  });
  await a.call('POST', `/v1/events/${first}/replay`, {});
  await a.call('POST', '/v1/event-types', {
    name: 'order.created',
    description: 'A customer placed an order.',
    schema: {
      type: 'object',
      required: ['id', 'amount'],
      properties: { id: { type: 'string' }, amount: { type: 'integer' } },
    },
  });
  await a.call('POST', '/v1/exports', { kind: 'events', format: 'ndjson', filter: { event_type: 'order.created' } });
  await a.call('POST', '/v1/api-keys', { name: 'ci-deploys' });
  await a.call('POST', '/v1/custom-domains', { hostname: 'hooks.acme-shop.com' });
  await waitFor(async () => (await a.call('GET', `/v1/events/${first}`)).json.data.deliveries.length === 2, {
    timeoutMs: 30_000,
    message: 'replayed',
  });

  const browser = await launch();
  t.teardown(() => browser.close());

  async function session(width: number, height: number, scheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme, deviceScaleFactor: 1 });
    ctx.setDefaultTimeout(20_000);
    const page = await ctx.newPage();
    await page.goto(`${base}/console/`);
    await page.getByRole('button', { name: 'Use an API key' }).click();
    await page.getByLabel('API key').fill(a.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    return page;
  }
  async function shot(page: Page, name: string, path: string, ready: (p: Page) => Promise<unknown>, fullPage = true) {
    if (ONLY && !ONLY.includes(name)) return;
    await page.goto(`${base}/console${path}`);
    await ready(page);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(out, `${name}.png`), fullPage });
    t.pass(`${name}.png`);
  }

  const signin = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  if (!ONLY || ONLY.includes('sign-in')) {
    await signin.goto(`${base}/console/`);
    await signin.getByLabel('Email').fill('olga@acme-shop.com');
    await signin.getByLabel('Password').fill('not the password');
    await signin.getByRole('button', { name: 'Sign in' }).click();
    await signin.getByRole('alert').waitFor();
    await signin.screenshot({ path: join(out, 'sign-in.png') });
  }

  const p = await session(1280, 800);
  const h1 = (name: string) => (pg: Page) => pg.getByRole('heading', { name, level: 1 }).waitFor();
  await shot(p, 'overview', '/', async (pg) => {
    await h1('Overview')(pg);
    await pg.getByRole('table', { name: 'Destination health' }).waitFor();
  });
  await shot(p, 'events', '/events', (pg) => pg.getByRole('table', { name: 'Events' }).waitFor());
  await shot(p, 'event-detail', `/events/${first}`, (pg) =>
    pg.getByRole('heading', { name: 'Deliveries (2)' }).waitFor(),
  );
  await shot(p, 'dead-letters', '/dead-letters', (pg) => pg.getByRole('table', { name: 'Dead letters' }).waitFor());
  await shot(p, 'destinations', '/destinations', (pg) => pg.getByRole('table', { name: 'Destinations' }).waitFor());
  await shot(p, 'destination-detail', `/destinations/${a.billing.id}`, (pg) =>
    pg.getByRole('table', { name: 'Latest failures' }).waitFor(),
  );
  await shot(p, 'sources', '/sources', (pg) => pg.getByRole('table', { name: 'Sources' }).waitFor());
  await shot(p, 'routes', '/routes', (pg) => pg.getByRole('table', { name: 'Routes' }).waitFor());
  await shot(p, 'event-types', '/event-types', (pg) => pg.getByRole('table', { name: 'Event types' }).waitFor());
  await shot(p, 'api-keys', '/api-keys', (pg) => pg.getByRole('table', { name: 'API keys' }).waitFor());
  await shot(p, 'exports', '/exports', (pg) => pg.getByRole('table', { name: 'Exports' }).waitFor());
  await shot(p, 'settings', '/settings', h1('Settings'));
  await shot(p, 'audit-log', '/settings/audit-log', (pg) => pg.getByRole('table', { name: 'Audit log' }).waitFor());
  // People: two members, one invitation waiting, one link just made; and the screen that link opens.
  if (!ONLY || ONLY.includes('members') || ONLY.includes('invite')) {
    for (const [email, name, role] of [
      ['olga@acme-shop.com', 'Olga Berg', 'owner'],
      ['dev@acme-shop.com', 'Dev Patel', 'developer'],
    ] as const) {
      const inv = await a.call('POST', '/v1/invites', { email, role });
      await fetch(`${base}/console/invite/accept`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          token: new URL(inv.json.data.url).hash.slice(1),
          name,
          password: 'a long enough password',
        }),
      });
    }
    await a.call('POST', '/v1/invites', { email: 'finance@acme-shop.com', role: 'viewer' });
    await shot(p, 'members', '/settings/members', async (pg) => {
      const form = pg.getByRole('form', { name: 'Invite a member' });
      await form.getByLabel('Email').fill('ops@acme-shop.com');
      await form.getByLabel('Role').selectOption('admin');
      await form.getByRole('button', { name: 'Invite' }).click();
      await pg.getByRole('status', { name: 'Invitation link for ops@acme-shop.com' }).waitFor();
    });
    if (!ONLY || ONLY.includes('invite')) {
      const link = new URL(
        (await a.call('POST', '/v1/invites', { email: 'sam@acme-shop.com', role: 'developer' })).json.data.url,
      );
      const guest = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
      await guest.goto(`${base}${link.pathname}${link.hash}`);
      await guest.getByRole('heading', { name: 'Join Acme Shop' }).waitFor();
      await guest.screenshot({ path: join(out, 'invite.png') });
    }
  }

  // Actions whose result is worth a picture: a rotated secret shown once, a bulk replay run to its end.
  if (!ONLY || ONLY.includes('rotate-secret')) {
    await p.goto(`${base}/console/destinations/${a.orders.id}`);
    await p.getByRole('button', { name: 'Rotate secret' }).click();
    await p.getByRole('status', { name: 'New signing secret' }).waitFor();
    await p.screenshot({ path: join(out, 'rotate-secret.png') });
  }
  if (!ONLY || ONLY.includes('bulk-replay')) {
    a.failing.billing = false;
    await p.goto(`${base}/console/dead-letters`);
    await p.getByRole('button', { name: 'Replay all matching' }).click();
    await p.getByLabel('Bulk replay').getByText('completed').waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: join(out, 'bulk-replay.png') });
  }

  const phone = await session(390, 844);
  await shot(
    phone,
    'phone-overview',
    '/',
    (pg) => pg.getByRole('table', { name: 'Destination health' }).waitFor(),
    false,
  );
  await shot(phone, 'phone-events', '/events', (pg) => pg.getByRole('table', { name: 'Events' }).waitFor(), false);
  await shot(
    phone,
    'phone-audit-log',
    '/settings/audit-log',
    (pg) => pg.getByRole('table', { name: 'Audit log' }).waitFor(),
    false,
  );
  await shot(
    phone,
    'phone-event-detail',
    `/events/${first}`,
    (pg) => pg.getByRole('heading', { name: 'Deliveries (2)' }).waitFor(),
    false,
  );
  // A new account: the empty state that teaches the first webhook.
  if (!ONLY || ONLY.includes('events-empty')) {
    const fresh = await seedAccount(base, await startReceiver(t), 'Globex');
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 640 } });
    const e = await ctx.newPage();
    await e.goto(`${base}/console/events`);
    await e.getByRole('button', { name: 'Use an API key' }).click();
    await e.getByLabel('API key').fill(fresh.key);
    await e.getByRole('button', { name: 'Sign in' }).click();
    await e.getByText('No events yet. Send a first webhook:').waitFor();
    await e.screenshot({ path: join(out, 'events-empty.png') });
  }
  const dark = await session(1280, 800, 'dark');
  await shot(dark, 'dark-overview', '/', (pg) => pg.getByRole('table', { name: 'Destination health' }).waitFor());
  // Before the gateway stops: its live event streams end with the pages that hold them.
  await browser.close();
});
