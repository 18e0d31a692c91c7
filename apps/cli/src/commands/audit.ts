// The audit log: who changed what, when and from where; listed with filters, or downloaded whole.
import type { AuditLogParams } from '@hookstream/sdk';
import { type Ctx, type Group, UsageError, defined } from '../context.ts';
import type { Column } from '../output.ts';
import { save } from './jobs.ts';
import { listed } from './manage.ts';

const ACTOR_TYPES = ['member', 'api_key', 'portal', 'operator', 'signup'];

const AUDIT_COLUMNS: Column[] = [
  { key: 'at', title: 'WHEN' },
  {
    key: 'actor',
    title: 'WHO',
    max: 32,
    format: (v) => {
      const a = v as { type: string; id: string; name: string | null };
      return `${a.name ?? a.id} (${a.type})`;
    },
  },
  { key: 'action', title: 'WHAT' },
  { key: 'resource_id', title: 'RESOURCE' },
  { key: 'outcome' },
  { key: 'ip', title: 'ADDRESS' },
];

function auditFilter(ctx: Ctx): Omit<AuditLogParams, 'limit' | 'cursor'> {
  const actorType = ctx.flags['actor-type'];
  if (actorType !== undefined && !ACTOR_TYPES.includes(actorType))
    throw new UsageError(`--actor-type is one of ${ACTOR_TYPES.join(', ')}`);
  const outcome = ctx.flags.outcome;
  if (outcome !== undefined && outcome !== 'succeeded' && outcome !== 'denied')
    throw new UsageError('--outcome is succeeded or denied');
  return defined({
    actor: ctx.flags.actor,
    actor_type: actorType as AuditLogParams['actor_type'],
    action: ctx.flags.action,
    resource_id: ctx.flags.resource,
    outcome: outcome,
    since: ctx.flags.since,
    until: ctx.flags.until,
  });
}

const FILTERS =
  '[--actor ID] [--actor-type T] [--action A|RESOURCE.*] [--resource ID] [--outcome succeeded|denied] [--since ISO] [--until ISO]';

export const auditLog: Group = {
  list: {
    usage: `${FILTERS} [--limit N] [--cursor C] [--all]`,
    summary: 'who changed what, newest first',
    async run(ctx) {
      const f = { ...auditFilter(ctx), ...ctx.listParams() };
      await listed(
        ctx,
        () => ctx.client.auditLog.list(f),
        () => ctx.client.auditLog.iterate(f),
        AUDIT_COLUMNS,
      );
    },
  },
  download: {
    usage: `[--format csv|ndjson] ${FILTERS} [-o FILE]`,
    summary: 'every matching entry as CSV or NDJSON (to stdout, or -o FILE)',
    async run(ctx: Ctx) {
      const format = ctx.flags.format ?? 'csv';
      if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format is csv or ndjson');
      const d = await ctx.client.auditLog.download(format, auditFilter(ctx));
      await save(ctx, d.body, ctx.flags.output);
      if (ctx.flags.output && ctx.flags.output !== '-') ctx.out.note(`wrote ${ctx.flags.output}`);
    },
  },
};
