// An account's plan and retention window: what a change leads to, and whether it is a change at all.
// The operator sets them (the API with the operator token, or the `hookstream` command); the account
// only ever reads them. Both paths go through planTerms, so they agree on what is allowed.

import type { Plan } from '@hookstream/contracts';

export type PlanName = Plan;

export const PLAN_NAMES: readonly PlanName[] = ['free', 'pro', 'enterprise'];

/** Days of events and attempts kept per plan; enterprise's is a default, the others are fixed. */
export const PLAN_RETENTION_DAYS: Readonly<Record<PlanName, number>> = Object.freeze({
  free: 1,
  pro: 30,
  enterprise: 90,
});

export const MAX_RETENTION_DAYS = 3650;

export interface PlanTerms {
  plan: PlanName;
  retention_days: number;
}

export interface PlanChange {
  plan?: PlanName | undefined;
  retention_days?: number | undefined;
}

export type PlanResult = { ok: true; terms: PlanTerms } | { ok: false; error: string };

/**
 * The terms after a change; `current` is null for a new account (the free plan). A plan other than
 * enterprise has its fixed window; enterprise keeps its window across a change that does not name one.
 */
export function planTerms(current: PlanTerms | null, change: PlanChange): PlanResult {
  const plan = change.plan ?? current?.plan ?? 'free';
  if (!PLAN_NAMES.includes(plan)) return { ok: false, error: `plan must be one of ${PLAN_NAMES.join(', ')}` };
  const days = change.retention_days;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS)) {
    return { ok: false, error: `retention_days must be a whole number from 1 to ${MAX_RETENTION_DAYS}` };
  }
  if (plan !== 'enterprise') {
    const fixed = PLAN_RETENTION_DAYS[plan];
    if (days !== undefined && days !== fixed) {
      return {
        ok: false,
        error: `retention_days is fixed at ${fixed} on the ${plan} plan; custom retention needs enterprise`,
      };
    }
    return { ok: true, terms: { plan, retention_days: fixed } };
  }
  const kept = current?.plan === 'enterprise' ? current.retention_days : PLAN_RETENTION_DAYS.enterprise;
  return { ok: true, terms: { plan, retention_days: days ?? kept } };
}

/** Whether a request names plan terms that differ from the current ones (a new account has none). */
export function changesPlanTerms(current: PlanTerms | null, change: PlanChange): boolean {
  if (current === null) return change.plan !== undefined || change.retention_days !== undefined;
  return (
    (change.plan !== undefined && change.plan !== current.plan) ||
    (change.retention_days !== undefined && change.retention_days !== current.retention_days)
  );
}
