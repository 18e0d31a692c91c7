import t from 'tap';
import { hashPassword, verifyPassword } from './passwords.ts';

t.test('a hash verifies its password and no other', async (t) => {
  const h = await hashPassword('correct horse battery');
  t.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.not(await hashPassword('correct horse battery'), h, 'salted: two hashes of one password differ');
  t.equal(await verifyPassword('correct horse battery', h), true);
  t.equal(await verifyPassword('correct horse batterY', h), false);
});

t.test('no hash or a malformed one never verifies', async (t) => {
  t.equal(await verifyPassword('anything', null), false);
  t.equal(await verifyPassword('anything', 'md5$abc'), false);
  t.equal(await verifyPassword('', 'scrypt$1$1$1$$'), false);
});
