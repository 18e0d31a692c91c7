// Who may frame the portal: embed origins as the browser compares them, and the CSP they make.
import t from 'tap';
import { normalizeEmbedOrigins } from '../routes/brand.ts';
import { portalCsp } from './plugin.ts';

t.test('embed origins are scheme://host[:port], lower-cased, each once', async (t) => {
  t.same(
    normalizeEmbedOrigins([
      'https://App.Example.com',
      'https://app.example.com/',
      'https://app.example.com:443',
      'http://127.0.0.1:5173',
      'https://[::1]:8443',
    ]),
    ['https://app.example.com', 'http://127.0.0.1:5173', 'https://[::1]:8443'],
  );
  t.same(normalizeEmbedOrigins([]), []);
  for (const bad of [
    'https://a.com/x',
    'https://a.com?x=1',
    'https://a.com#x',
    'https://u:p@a.com',
    'https://*.a.com',
    'ftp://a.com',
    "'self'",
    'https://a.com;x',
    'https://a .com',
    '',
  ]) {
    let status = 0;
    try {
      normalizeEmbedOrigins([bad]);
    } catch (err) {
      status = (err as { status?: number }).status ?? -1;
    }
    t.equal(status, 400, `${JSON.stringify(bad)} is refused with a 400`);
  }
});

t.test('frame-ancestors lists the origins, or none; the rest of the policy stays strict', async (t) => {
  t.match(portalCsp([]), /frame-ancestors 'none';/);
  const csp = portalCsp(['https://app.example.com', 'http://127.0.0.1:5173']);
  t.match(csp, /frame-ancestors https:\/\/app\.example\.com http:\/\/127\.0\.0\.1:5173;/);
  t.match(csp, /script-src 'self';/);
  t.notMatch(csp, /unsafe/);
});
