// Settings → Audit log in Chromium against the whole system: a change made in the console shows
// under its actor with its ids, the filters narrow the table, and the export downloads the entries.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { startSystem } from '../e2e/harness.ts';
import { axeViolations, ensureConsoleBuilt, launch } from './browser.ts';
import { seedAccount } from './seed.ts';

t.test('Settings → Audit log shows who changed what', async (t) => {
  ensureConsoleBuilt();
  const gw = await startSystem(t);
  const base = gw.url as string;
  const receiver = await startReceiver(t);
  const a = await seedAccount(base, receiver, 'acme');
  const browser: Browser = await launch();
  t.teardown(() => browser.close());
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  ctx.setDefaultTimeout(20_000);
  const page: Page = await ctx.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
  });

  await page.goto(`${base}/console/`);
  await page.getByRole('button', { name: 'Use an API key' }).click();
  await page.getByLabel('API key').fill(a.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();

  // A change made in the console itself: a secret rotated on a destination's page.
  await page.goto(`${base}/console/destinations/${a.orders.id}`);
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const shown = await page.getByRole('status', { name: 'New signing secret' }).innerText();

  // The destination's history: the audit log filtered to its id.
  await page.getByRole('link', { name: 'History' }).click();
  await page.waitForURL(new RegExp(`/console/settings/audit-log\\?resource_id=${a.orders.id}`));
  const history = page.getByRole('table', { name: 'Audit log' });
  await history.getByRole('row').filter({ hasText: 'destination.rotate_secret' }).waitFor();
  t.ok(await history.getByRole('row').filter({ hasText: 'destination.create' }).isVisible(), 'its creation');
  t.equal(
    await history.getByRole('row').filter({ hasText: 'source.create' }).count(),
    0,
    'nothing that did not involve it',
  );

  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  const table = page.getByRole('table', { name: 'Audit log' });
  const row = table.getByRole('row').filter({ hasText: 'destination.rotate_secret' });
  await row.waitFor();
  const text = await row.innerText();
  t.match(text, /bootstrap/, 'who: the key the console signed in with');
  t.match(text, /API key/);
  t.match(text, /succeeded/);
  t.match(text, /127\.0\.0\.1/, 'from which address');
  t.ok(await row.getByTitle(a.orders.id).isVisible(), 'the destination id, in full on hover');
  t.notOk(
    (await table.innerText()).includes(shown.match(/whsec_[A-Za-z0-9+/=]+/)?.[0] ?? 'whsec_'),
    'no secret on the screen',
  );
  t.ok(
    (await table.getByRole('row').filter({ hasText: 'route.create' }).count()) >= 2,
    'the seeded changes are listed too',
  );

  // Filters: the action narrows the table to the one rotation.
  await page.getByLabel('Action').fill('destination.rotate_secret');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/action=destination\.rotate_secret/);
  await waitFor(async () => (await table.getByRole('row').filter({ hasText: 'route.create' }).count()) === 0, {
    timeoutMs: 20_000,
    message: 'the filter applied',
  });
  t.equal(await table.locator('tbody tr').count(), 1);

  const v = await axeViolations(page);
  t.same(
    v.map((x) => `${x.id}: ${x.help}`),
    [],
    'no serious or critical accessibility violations',
  );

  // The export button downloads the filtered entries, through the session.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  t.match(download.suggestedFilename(), /^audit-log-.*\.csv$/);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split('\r\n');
  t.match(lines[0], /^id,at,actor_type,actor_id,actor_name,action,/);
  t.equal(lines.length, 2, 'a header and the one rotation');
  t.match(lines[1], /"destination\.rotate_secret"/);

  t.same(pageErrors, [], 'no page errors or CSP refusals');
});
