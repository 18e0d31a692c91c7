// The composition table: which roles a process starts, and what they need, for the ROLES given.
import t from 'tap';
import type { Role } from '@hookstream/config';
import { ROLE_NAMES } from '@hookstream/config';
import { ROLE_ORDER, ROLE_TABLE, runs } from './roles.ts';

const pool = {} as never;
const set = (...r: Role[]) => new Set<Role>(r);
const started = (roles: ReadonlySet<Role>, withPool: boolean) =>
  ROLE_ORDER.filter((r) => runs(r, roles, withPool ? pool : null));

t.test('given the table, when read, then every role has one entry and one place in the start order', async (t) => {
  t.same([...ROLE_ORDER].sort(), [...ROLE_NAMES].sort());
  t.same(Object.keys(ROLE_TABLE).sort(), [...ROLE_NAMES].sort());
  t.equal(ROLE_ORDER.at(-1), 'api', 'the api starts last, so it stops first');
  t.ok(
    ROLE_ORDER.indexOf('jobs') < ROLE_ORDER.indexOf('api'),
    "the jobs role's ports exist before the api takes requests",
  );
});

t.test('given all roles with a database, when composed, then each starts once in table order', async (t) => {
  t.same(started(set(...ROLE_NAMES), true), ['router', 'deliverer', 'projector', 'jobs', 'api']);
});

t.test('given an api alone, when composed, then the jobs ports start beside it, without workers', async (t) => {
  t.same(started(set('api'), true), ['jobs', 'api']);
  t.same(started(set('api'), false), ['api'], 'no database: no jobs ports');
});

t.test('given background roles, when composed, then only they start', async (t) => {
  t.same(started(set('router', 'deliverer'), false), ['router', 'deliverer']);
  t.same(started(set('projector'), false), [], 'a projector without its database does not start');
});

t.test(
  'given the needs, when read, then the database, the schema and own connections go where the roles need them',
  async (t) => {
    const needing = (k: 'database' | 'currentSchema' | 'ownConnection') =>
      ROLE_ORDER.filter((r) => ROLE_TABLE[r].needs[k]);
    t.same(needing('database'), ['projector', 'jobs', 'api']);
    t.same(needing('currentSchema'), ['projector', 'jobs']);
    t.same(needing('ownConnection'), ['deliverer', 'api']);
  },
);
