// Who may do what: the one permission table, read by the API (a refusal is a 403) and by the console
// (which hides what a role may not do). Roles are ordered; each action names the least role allowed.

export const ROLES = ['viewer', 'developer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every action a caller can take, with the least role that may take it. Reads are open to every
 * role; changes to what gets delivered, and replays, to developers; people, keys, single sign-on and
 * the account's own settings to admins; ownership itself to owners.
 */
export const PERMISSIONS = {
  /** Any GET: events, deliveries, configuration, statistics, members. */
  read: 'viewer',
  /** Sources, destinations, routes, event types: what gets delivered where. */
  'config.write': 'developer',
  /** Publishing outbound events and test events. */
  'events.send': 'developer',
  /** Replays of one event or of a filtered range. */
  'events.replay': 'developer',
  /** Export jobs (copies of the event log leave the server). */
  'exports.create': 'developer',
  /** Reading a destination's signing secret (what a receiver verifies with). */
  'secrets.reveal': 'developer',
  /** Reading the audit log: who changed what, from which address. */
  'audit.read': 'admin',
  /** Listing, creating and revoking API keys. */
  'apikeys.manage': 'admin',
  /** Inviting, re-roling and removing members; listing and cancelling invites. */
  'members.manage': 'admin',
  /** Account name, brand settings, custom domains, single sign-on. */
  'account.manage': 'admin',
  /** Granting or taking away the owner role. */
  'owners.manage': 'owner',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof PERMISSIONS;
export const ACTIONS = Object.keys(PERMISSIONS) as Action[];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function may(role: Role, action: Action): boolean {
  return roleRank(role) >= roleRank(PERMISSIONS[action]);
}

/** The actions a role may take, for the console to show or hide controls. */
export function permissionsOf(role: Role): Action[] {
  return ACTIONS.filter((a) => may(role, a));
}

export type RoleChange = { ok: true } | { ok: false; reason: 'forbidden_role' | 'last_owner' };

/**
 * Whether `actor` may give `target` (a member or key now holding `from`, or nobody yet: null) the
 * role `to`. Nobody hands out more than they hold; only owners touch the owner role; the account
 * always keeps one owner. `owners` counts the account's owner members now.
 */
export function checkRoleChange(actor: Role, from: Role | null, to: Role | null, owners: number): RoleChange {
  if (!may(actor, 'members.manage')) return { ok: false, reason: 'forbidden_role' };
  const touchesOwner = from === 'owner' || to === 'owner';
  // An account whose people predate roles has no owner member: its admins may appoint the first.
  if (touchesOwner && !may(actor, 'owners.manage') && !(to === 'owner' && owners === 0))
    return { ok: false, reason: 'forbidden_role' };
  if (to !== null && roleRank(to) > roleRank(actor) && !(to === 'owner' && owners === 0))
    return { ok: false, reason: 'forbidden_role' };
  if (from === 'owner' && to !== 'owner' && owners <= 1) return { ok: false, reason: 'last_owner' };
  return { ok: true };
}
