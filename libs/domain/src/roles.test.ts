import t from 'tap';
import { ACTIONS, PERMISSIONS, checkRoleChange, isRole, may, permissionsOf } from './roles.ts';

t.test('every role reads; only developers and up change configuration or replay', async (t) => {
  t.ok(may('viewer', 'read'));
  t.notOk(may('viewer', 'config.write'));
  t.notOk(may('viewer', 'events.replay'));
  t.ok(may('developer', 'events.replay'));
  t.ok(may('developer', 'config.write'));
  t.notOk(may('developer', 'members.manage'));
  t.notOk(may('developer', 'apikeys.manage'));
  t.ok(may('admin', 'members.manage'));
  t.notOk(may('admin', 'owners.manage'));
  t.same(permissionsOf('owner'), ACTIONS);
  t.same(permissionsOf('viewer'), ['read']);
});

t.test('the table names a known role for every action', async (t) => {
  for (const role of Object.values(PERMISSIONS)) t.ok(isRole(role), role);
  t.notOk(isRole('root'));
});

t.test('role changes: no one grants above themselves, only owners touch owners', async (t) => {
  t.same(checkRoleChange('admin', null, 'developer', 1), { ok: true });
  t.same(checkRoleChange('admin', 'viewer', 'admin', 1), { ok: true });
  t.same(checkRoleChange('developer', null, 'viewer', 1), { ok: false, reason: 'forbidden_role' });
  t.same(checkRoleChange('admin', null, 'owner', 1), { ok: false, reason: 'forbidden_role' });
  t.same(checkRoleChange('admin', 'owner', 'viewer', 2), { ok: false, reason: 'forbidden_role' });
  t.same(checkRoleChange('owner', 'owner', 'admin', 2), { ok: true });
  t.same(checkRoleChange('owner', null, 'owner', 1), { ok: true });
});

t.test('the last owner is neither demoted nor removed', async (t) => {
  t.same(checkRoleChange('owner', 'owner', 'admin', 1), { ok: false, reason: 'last_owner' });
  t.same(checkRoleChange('owner', 'owner', null, 1), { ok: false, reason: 'last_owner' });
  t.same(checkRoleChange('owner', 'owner', null, 2), { ok: true });
});

t.test('an account without owner members lets its admins appoint the first', async (t) => {
  t.same(checkRoleChange('admin', null, 'owner', 0), { ok: true });
  t.same(checkRoleChange('admin', 'admin', 'owner', 0), { ok: true });
});
