// Members and invitations of the account; key roles are a flag of `keys create`.
import type { MemberRole } from '@hookstream/sdk';
import { type Group, roleFlag } from '../context.ts';
import type { Column } from '../output.ts';
import { listed } from './manage.ts';

const date = (v: unknown) => (typeof v === 'string' ? v.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

const MEMBER_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'email' },
  { key: 'name', max: 30 },
  { key: 'role' },
  { key: 'sso_linked', title: 'SSO' },
  { key: 'created_at', title: 'JOINED', format: date },
];
const INVITE_COLUMNS: Column[] = [
  { key: 'id' },
  { key: 'email' },
  { key: 'role' },
  { key: 'expires_at', title: 'EXPIRES', format: date },
  { key: 'expired' },
];

export const members: Group = {
  list: {
    usage: '[--limit N] [--cursor C] [--all]',
    summary: "the account's members and their roles",
    run: (ctx) =>
      listed(
        ctx,
        () => ctx.client.members.list(ctx.listParams()),
        () => ctx.client.members.iterate(ctx.listParams()),
        MEMBER_COLUMNS,
      ),
  },
  'set-role': {
    usage: '<id> --role owner|admin|developer|viewer',
    summary: "change a member's role (the last owner stays an owner)",
    async run(ctx) {
      const m = await ctx.client.members.setRole(ctx.arg(0, 'id'), roleFlag(ctx, true) as MemberRole);
      ctx.out.item(m, ['id', 'email', 'name', 'role']);
    },
  },
  remove: {
    usage: '<id>',
    summary: 'remove a member: their console sessions end at once',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.members.remove(id);
      ctx.out.done(`removed ${id}`, { id, removed: true });
    },
  },
};

export const invites: Group = {
  create: {
    usage: '<email> --role owner|admin|developer|viewer',
    summary: 'invite someone: prints a single-use link, once',
    async run(ctx) {
      const i = await ctx.client.invites.create({
        email: ctx.arg(0, 'email'),
        role: roleFlag(ctx, true) as MemberRole,
      });
      ctx.out.item(i, ['id', 'email', 'role', 'expires_at', 'url']);
      ctx.out.note('Send them the link: it works once and is not shown again.');
    },
  },
  list: {
    usage: '[--limit N] [--cursor C] [--all]',
    summary: 'pending invitations (links are not shown again)',
    run: (ctx) =>
      listed(
        ctx,
        () => ctx.client.invites.list(ctx.listParams()),
        () => ctx.client.invites.iterate(ctx.listParams()),
        INVITE_COLUMNS,
      ),
  },
  cancel: {
    usage: '<id>',
    summary: 'cancel an invitation: its link stops working',
    async run(ctx) {
      const id = ctx.arg(0, 'id');
      await ctx.client.invites.cancel(id);
      ctx.out.done(`cancelled ${id}`, { id, cancelled: true });
    },
  },
};
