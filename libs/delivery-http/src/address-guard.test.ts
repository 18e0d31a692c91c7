import t from 'tap';
import fc from 'fast-check';
import { checkDestinationUrl, isBlockedAddress, resolveAndCheck } from './index.ts';
import type { LookupFn } from './index.ts';

const strict = { allowPrivate: false };
const lenient = { allowPrivate: true };

// Refused unless allowPrivate: the host is (or is written as) a non-public address.
const PRIVATE_URLS = [
  'http://127.0.0.1/',
  'http://127.5.6.7:8080/x',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://100.127.255.255/',
  'http://169.254.169.254/latest/meta-data/',
  'http://0.0.0.0/',
  'http://0.1.2.3/',
  'http://224.0.0.1/',
  'http://239.255.255.250/',
  'http://255.255.255.255/',
  'http://[::1]/',
  'http://[::]/',
  'http://[fe80::1]/',
  'http://[febf::1]/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://[ff02::1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:127.0.0.1]:8080/',
  'http://[::ffff:7f00:1]/',
  'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[64:ff9b::10.0.0.1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:7f00:1::]/', // 6to4 wrapping 127.0.0.1
  'http://[::127.0.0.1]/', // deprecated IPv4-compatible
  'http://2130706433/', // decimal 127.0.0.1
  'http://0177.0.0.1/', // octal
  'http://0x7f.0.0.1/', // hex
  'http://0x7f000001/',
  'http://017700000001/',
  'http://127.1/', // short form
  'http://0xa9.0xfe.0xa9.0xfe/', // metadata in hex
  'http://2852039166/', // metadata in decimal
  'http://127.0.0.1./',
  'http://localhost/',
  'http://LOCALHOST./',
  'https://localhost:8443/hook',
  'http://api.localhost/',
];

// Refused whatever allowPrivate says: not something the gateway will ever POST to.
const MALFORMED_URLS = [
  'ftp://example.com/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'gopher://example.com/',
  'http://user:pass@example.com/',
  'https://token@example.com/',
  'not a url',
  'http://[::1/',
  '',
];

const PUBLIC_URLS = [
  'https://example.com/hook',
  'http://93.184.216.34/',
  'http://[2606:4700::1]/',
  'https://8.8.8.8:8443/x?y=1',
  'http://172.32.0.1/', // just past 172.16/12
  'http://172.15.255.255/',
  'http://100.128.0.1/', // just past 100.64/10
  'http://169.255.0.1/',
  'http://192.169.0.1/',
  'http://11.0.0.1/',
  'http://[::ffff:93.184.216.34]/', // mapped public
  'http://[64:ff9b::8.8.8.8]/', // NAT64 of a public address
  'http://[2001:4860:4860::8888]/',
  'http://localhost.example.com/', // only the localhost TLD is special
];

t.test('private and reserved destinations are refused', async (t) => {
  for (const url of PRIVATE_URLS) {
    const r = checkDestinationUrl(url, strict);
    t.equal(r.ok, false, `refuses ${url}`);
    if (!r.ok) t.type(r.reason, 'string');
  }
});

t.test('allowPrivate lets private destinations through', async (t) => {
  for (const url of PRIVATE_URLS) t.same(checkDestinationUrl(url, lenient), { ok: true }, `allows ${url}`);
});

t.test('malformed URLs, other schemes and credentials are refused even with allowPrivate', async (t) => {
  for (const url of MALFORMED_URLS) {
    t.equal(checkDestinationUrl(url, strict).ok, false, `strict refuses ${JSON.stringify(url)}`);
    t.equal(checkDestinationUrl(url, lenient).ok, false, `lenient refuses ${JSON.stringify(url)}`);
  }
});

t.test('public destinations are allowed', async (t) => {
  for (const url of PUBLIC_URLS) t.same(checkDestinationUrl(url, strict), { ok: true }, `allows ${url}`);
});

t.test('isBlockedAddress normalises every notation', async (t) => {
  const blocked = [
    '127.0.0.1',
    '0177.0.0.1',
    '0x7f.1',
    '0x7F000001',
    '2130706433',
    '127.1',
    '127.0.0.1.',
    '10.0.0.1',
    '012.0.0.1',
    '169.254.169.254',
    '0251.0376.0251.0376',
    '0.0.0.0',
    '0',
    '255.255.255.255',
    '::1',
    '[::1]',
    '::',
    '0:0:0:0:0:0:0:1',
    'fe80::1%eth0',
    'FE80::ABCD',
    'fc00::',
    'fdff:ffff::1',
    'ff05::2',
    '::ffff:10.0.0.1',
    '::ffff:a00:1',
    '0:0:0:0:0:ffff:0a00:0001',
    '::ffff:0:10.0.0.1',
    '64:ff9b::192.168.0.1',
    '64:ff9b::c0a8:1',
    '64:ff9b:1::8.8.8.8',
    '2002:a00:1::1',
    '2001::1',
    '2001:db8::1',
    '100::1',
    // not an address at all: fail closed
    'example.com',
    '',
    '1.2.3.4.5',
    '256.1.1.1',
    '1::2::3',
    '12345::1',
    '::ffff:1.2.3.256',
  ];
  const allowed = [
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.0',
    '172.15.255.255',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '11.255.255.255',
    '223.255.255.255',
    '2606:4700::1',
    '[2606:4700::1]',
    '2001:4860:4860::8888',
    '2a00:1450:4001::1',
    '::ffff:93.184.216.34',
    '64:ff9b::8.8.8.8',
    '2002:5db8:d822::1',
  ];
  for (const ip of blocked) t.equal(isBlockedAddress(ip), true, `blocks ${JSON.stringify(ip)}`);
  for (const ip of allowed) t.equal(isBlockedAddress(ip), false, `allows ${ip}`);
});

// Each notation WHATWG URL accepts for an IPv4 address, built from its 32-bit value.
const v4 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0x7f000000, max: 0x7fffffff }), // 127/8
  fc.integer({ min: 0x0a000000, max: 0x0affffff }), // 10/8
  fc.integer({ min: 0xa9fe0000, max: 0xa9feffff }), // 169.254/16
);
const notation = fc.tuple(v4, fc.constantFrom('dotted', 'decimal', 'hex', 'octal', 'short', 'mixed'));
function write(n: number, how: string): string {
  const b = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  switch (how) {
    case 'decimal':
      return String(n);
    case 'hex':
      return `0x${n.toString(16)}`;
    case 'octal':
      return `0${n.toString(8)}`;
    case 'short':
      return `${b[0]}.${n & 0xffffff}`;
    case 'mixed':
      return `0x${(b[0] as number).toString(16)}.0${(b[1] as number).toString(8)}.${n & 0xffff}`;
    default:
      return b.join('.');
  }
}

t.test('the address parser agrees with WHATWG URL for every IPv4 notation', async (t) => {
  fc.assert(
    fc.property(notation, ([n, how]) => {
      const text = write(n, how);
      const dotted = write(n, 'dotted');
      return (
        new URL(`http://${text}/`).hostname === dotted &&
        isBlockedAddress(text) === isBlockedAddress(dotted) &&
        checkDestinationUrl(`http://${text}/`, strict).ok === !isBlockedAddress(dotted)
      );
    }),
    { numRuns: 2000 },
  );
  t.pass('URL, isBlockedAddress and checkDestinationUrl agree on 2000 generated addresses');
});

const answer =
  (...addresses: string[]): LookupFn =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const mustNotResolve: LookupFn = async () => {
  throw new Error('lookup must not be called');
};

t.test('resolveAndCheck', async (t) => {
  t.same(await resolveAndCheck('hooks.example.com', { ...strict, lookup: answer('93.184.216.34', '2606:4700::1') }), {
    ok: true,
  });

  const one = await resolveAndCheck('hooks.example.com', { ...strict, lookup: answer('93.184.216.34', '10.0.0.7') });
  t.equal(one.ok, false, 'refused when any one address is private');
  if (!one.ok) t.match(one.reason, /10\.0\.0\.7/);

  t.equal(
    (await resolveAndCheck('meta.example.com', { ...strict, lookup: answer('::ffff:169.254.169.254') })).ok,
    false,
  );
  t.equal(
    (await resolveAndCheck('empty.example.com', { ...strict, lookup: answer() })).ok,
    false,
    'no addresses is refused',
  );

  const nx = await resolveAndCheck('nope.example.com', {
    ...strict,
    lookup: async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  });
  t.equal(nx.ok, false);
  if (!nx.ok) t.match(nx.reason, /ENOTFOUND/);

  // Literals and localhost are judged without asking DNS.
  t.equal((await resolveAndCheck('127.0.0.1', { ...strict, lookup: mustNotResolve })).ok, false);
  t.equal((await resolveAndCheck('[::1]', { ...strict, lookup: mustNotResolve })).ok, false);
  t.equal((await resolveAndCheck('0x7f.1', { ...strict, lookup: mustNotResolve })).ok, false);
  t.equal((await resolveAndCheck('localhost', { ...strict, lookup: mustNotResolve })).ok, false);
  t.same(await resolveAndCheck('93.184.216.34', { ...strict, lookup: mustNotResolve }), { ok: true });

  t.same(
    await resolveAndCheck('internal.example.com', { ...lenient, lookup: answer('10.0.0.7') }),
    { ok: true },
    'allowPrivate',
  );
});
