// Customer portal sessions: a link for one customer, the live ones, and ending one.
import { type Group, UsageError, defined } from '../context.ts';
import type { Column } from '../output.ts';
import { listed } from './manage.ts';

const date = (v: unknown) => (typeof v === 'string' ? v.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

const SESSION_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'customer_id', title: 'CUSTOMER', max: 30 },
  { key: 'scope' },
  { key: 'created_at', title: 'CREATED', format: date },
  { key: 'expires_at', title: 'EXPIRES', format: date },
  { key: 'used_at', title: 'OPENED', format: date },
];

export const portalSessions: Group = {
  create: {
    usage: '<customer-id> [--scope read|manage] [--expires-in-s N]',
    summary: 'a portal link for one customer; its token opens the portal once (default read-only, 1 h)',
    async run(ctx) {
      const scope = ctx.flags.scope;
      if (scope !== undefined && scope !== 'read' && scope !== 'manage')
        throw new UsageError('--scope is read or manage');
      const s = await ctx.client.portalSessions.create(
        defined({ customer_id: ctx.arg(0, 'customer-id'), scope, expires_in_s: ctx.int('expires-in-s') }),
      );
      ctx.out.item(s);
      ctx.out.note('Send the link now: its token is not shown again, and it opens the portal once.');
    },
  },
  list: {
    usage: '[--customer ID] [--limit N] [--cursor C] [--all]',
    summary: 'live portal sessions (never their tokens)',
    async run(ctx) {
      const params = { ...ctx.listParams(), ...defined({ customer_id: ctx.flags.customer }) };
      await listed(
        ctx,
        () => ctx.client.portalSessions.list(params),
        () => ctx.client.portalSessions.iterate(params),
        SESSION_COLUMNS,
      );
    },
  },
  revoke: {
    usage: '<id>',
    summary: 'end a portal session: its link and its portal cookie open nothing after',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.portalSessions.revoke(id);
      ctx.out.done(`revoked ${id}`, { id, revoked: true });
    },
  },
};
