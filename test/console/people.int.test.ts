// People in the console, end to end: the real gateway and Chromium. An owner invites a viewer and
// a developer; each accepts and signs in; the viewer sees no Replay and a forged replay is refused;
// the developer replays, and the audit log names them; a removed member's open session stops
// working; five wrong passwords lock the address out.
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { startReceiver, waitFor } from '@hookstream/testkit';
import { startSystem } from '../e2e/harness.ts';
import { api, axeViolations, ensureConsoleBuilt, launch } from './browser.ts';
import { seedAccount, sendWebhook } from './seed.ts';

const TIMEOUT = 20_000;
const PASSWORD = 'a long enough password';

t.test('members, roles and sign-in in the console', async (t) => {
  ensureConsoleBuilt();
  const gw = await startSystem(t);
  const base = gw.url as string;
  const receiver = await startReceiver(t);
  const a = await seedAccount(base, receiver, 'acme');
  // The account's first owner, as `POST /v1/accounts {owner}` without a password leaves them: invited.
  const ownerInvite = await a.call('POST', '/v1/invites', { email: 'olga@example.com', role: 'owner' });
  t.equal(ownerInvite.status, 201);
  const accepted = await api(base)('POST', '/console/invite/accept', {
    token: new URL(ownerInvite.json.data.url).hash.slice(1),
    name: 'Olga',
    password: PASSWORD,
  });
  t.equal(accepted.status, 200);
  const eventId = await sendWebhook(base, a, 'order.created', { id: 'ord_1' });
  await waitFor(async () => (await a.call('GET', `/v1/events/${eventId}`)).json?.data?.status === 'delivered', {
    timeoutMs: TIMEOUT,
  });

  const browser: Browser = await launch();
  t.teardown(() => browser.close());
  const person = async (): Promise<Page> => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(TIMEOUT);
    return ctx.newPage();
  };
  const signInAs = async (page: Page, email: string, password: string) => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  const owner = await person();
  const links: Record<string, string> = {};

  await t.test('the owner signs in by email and invites a viewer and a developer', async (t) => {
    await signInAs(owner, 'olga@example.com', PASSWORD);
    await owner.getByRole('navigation', { name: 'Console' }).waitFor();
    t.ok(await owner.getByText('Olga · owner').isVisible(), 'the console says who is signed in, with the role');
    await owner.getByRole('link', { name: 'Settings', exact: true }).click();
    await owner.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Members' }).click();
    const invite = owner.getByRole('form', { name: 'Invite a member' });
    for (const [email, role] of [
      ['vic@example.com', 'viewer'],
      ['dev@example.com', 'developer'],
    ] as const) {
      await invite.getByLabel('Email').fill(email);
      await invite.getByLabel('Role').selectOption(role);
      await invite.getByRole('button', { name: 'Invite' }).click();
      const shown = owner.getByRole('status', { name: `Invitation link for ${email}` });
      await shown.waitFor();
      const link = new URL(await shown.locator('code').innerText());
      t.equal(link.pathname, '/console/invite', `${email}: a link to copy`);
      // The link names PUBLIC_URL; this gateway listens on a port of its own.
      links[email] = `${base}${link.pathname}${link.hash}`;
    }
    const pending = owner.getByRole('table', { name: 'Pending invitations' });
    await pending.getByRole('cell', { name: 'dev@example.com', exact: true }).waitFor();
    t.equal(await pending.getByRole('row').count(), 3, 'two pending invitations');
    t.same(await axeViolations(owner), [], 'Members: no serious accessibility violations');
  });

  const viewer = await person();
  const dev = await person();

  await t.test('each accepts at the link and is signed in', async (t) => {
    for (const [page, email, name] of [
      [viewer, 'vic@example.com', 'Vic'],
      [dev, 'dev@example.com', 'Dev'],
    ] as const) {
      await page.goto(links[email] as string);
      await page.getByRole('heading', { name: 'Join acme' }).waitFor();
      t.ok(await page.getByText(email).isVisible());
      await page.getByLabel('Your name').fill(name);
      await page.getByLabel('Choose a password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      await page.getByRole('navigation', { name: 'Console' }).waitFor();
      t.notMatch(page.url(), '#', 'the spent token left the address bar');
    }
    // And signs in again later by email and password.
    await viewer.getByRole('button', { name: 'Sign out' }).click();
    // Signing out navigates on its own: a navigation started before it settles would be aborted.
    await viewer.getByLabel('Email').waitFor();
    await signInAs(viewer, 'vic@example.com', PASSWORD);
    await viewer.getByText('Vic · viewer').waitFor();
  });

  await t.test('the viewer sees no Replay, and a forged replay gets 403', async (t) => {
    await viewer.goto(`${base}/console/events/${eventId}`);
    await viewer.getByRole('heading', { name: 'order.created' }).waitFor();
    await viewer
      .getByRole('region', { name: /Delivery to/ })
      .first()
      .waitFor();
    t.equal(await viewer.getByRole('button', { name: /Replay/ }).count(), 0, 'no Replay button anywhere on the event');
    const nav = viewer.getByRole('navigation', { name: 'Console' });
    t.equal(await nav.getByRole('link', { name: 'API keys' }).count(), 0, 'no API keys for a viewer');
    const forged = await viewer.evaluate(async (id) => {
      const r = await fetch(`/v1/events/${id}/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hookstream-console': '1' },
        body: '{}',
      });
      return { status: r.status, body: (await r.json()) as { code: string } };
    }, eventId);
    t.equal(forged.status, 403);
    t.equal(forged.body.code, 'forbidden_role');
    await viewer.goto(`${base}/console/sources`);
    await viewer.getByRole('table', { name: 'Sources' }).waitFor();
    t.equal(
      await viewer.getByRole('button', { name: 'Create source' }).count(),
      0,
      'no configuration forms for a viewer',
    );
    await viewer.goto(`${base}/console/settings/members`);
    await viewer.getByRole('table', { name: 'Members' }).waitFor();
    t.equal(
      await viewer.getByRole('form', { name: 'Invite a member' }).count(),
      0,
      'a viewer sees members but cannot invite',
    );
  });

  await t.test('the developer replays the event', async (t) => {
    const before = (await a.call('GET', `/v1/events/${eventId}`)).json.data.deliveries.length;
    await dev.goto(`${base}/console/events/${eventId}`);
    await dev.getByRole('heading', { name: 'order.created' }).waitFor();
    t.equal(
      (await dev.getByRole('button', { name: 'Replay to this destination' }).count()) > 0,
      true,
      'a developer sees the replay buttons',
    );
    await dev.getByRole('button', { name: 'Replay', exact: true }).click();
    await dev.getByRole('status').filter({ hasText: 'Replay queued' }).waitFor();
    await waitFor(async () => (await a.call('GET', `/v1/events/${eventId}`)).json.data.deliveries.length > before, {
      timeoutMs: TIMEOUT,
    });
    t.pass('a new delivery exists');
    const entry = await waitFor(
      async () =>
        ((await a.call('GET', '/v1/audit-log?action=event.replay')).json?.data ?? []).find(
          (e: { ids?: { event_id?: string } }) => e.ids?.event_id === eventId,
        ),
      { timeoutMs: TIMEOUT },
    );
    t.match(entry.actor, { type: 'member', name: 'Dev' }, "the audit log shows the replay under the developer's name");
  });

  await t.test("a removed member's open session stops working", async (t) => {
    await owner.reload();
    const row = owner.getByRole('row').filter({ hasText: 'dev@example.com' });
    await row.getByRole('button', { name: 'Remove dev@example.com' }).click();
    await row.getByRole('button', { name: 'Confirm remove dev@example.com' }).click();
    await row.waitFor({ state: 'detached' });
    const status = await dev.evaluate(async () => (await fetch('/v1/events')).status);
    t.equal(status, 401, 'the API refuses the open session at once');
    await dev.goto(`${base}/console/events`);
    await dev.getByLabel('Email').waitFor();
    t.pass('the console shows sign-in');
  });

  await t.test('five wrong passwords lock the address out', async (t) => {
    const page = await person();
    await page.goto(`${base}/console/`);
    const alert = page.getByRole('alert');
    for (let i = 1; i <= 5; i++) {
      await page.getByLabel('Email').fill('vic@example.com');
      await page.getByLabel('Password').fill(`wrong password ${i}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await alert
        .filter({ hasText: i < 5 ? 'That email and password do not match.' : 'Too many failed sign-ins' })
        .waitFor();
    }
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await alert.filter({ hasText: 'Too many failed sign-ins' }).waitFor();
    t.equal(
      await page.getByRole('navigation', { name: 'Console' }).count(),
      0,
      'the right password does not get in meanwhile',
    );
  });

  await browser.close();
});
