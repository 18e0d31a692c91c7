import t from 'tap';
import { actionOf } from './permissions.ts';

t.test("a route is the action it declares, else the table's, else its method's", async (t) => {
  t.equal(actionOf('POST', '/v1/members/:id', 'members.manage'), 'members.manage');
  t.equal(actionOf('POST', '/v1/events/:id/replay'), 'events.replay');
  t.equal(actionOf('POST', '/v1/outbound-events/:id/replay'), 'events.replay');
  t.equal(actionOf('GET', '/v1/api-keys'), 'apikeys.manage', 'listing keys is not a plain read');
  t.equal(actionOf('POST', '/v1/payload-filters/test'), 'read', 'a POST that stores nothing');
  t.equal(actionOf('GET', '/v1/sources'), 'read');
  t.equal(actionOf('GET', '/v1/audit-log'), 'audit.read', 'the audit log is for admins');
  t.equal(actionOf('HEAD', '/v1/sources'), 'read');
  t.equal(actionOf('DELETE', '/v1/something-new/:id'), 'config.write', 'an unknown change is closed to viewers');
});
