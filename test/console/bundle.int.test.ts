// The built console as the server sends it: small enough, and nothing the CSP would block.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ensureConsoleBuilt } from './browser.ts';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'apps', 'console', 'dist');

t.test('the JavaScript stays under 300 KB gzipped', async (t) => {
  ensureConsoleBuilt();
  const js = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  t.ok(js.length > 0, 'there is JavaScript');
  const gz = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, 'assets', f)), { level: 9 }).length, 0);
  t.ok(gz < 300 * 1024, `${(gz / 1024).toFixed(1)} KB gzipped`);
});

t.test('index.html has no inline script or style for the CSP to refuse', async (t) => {
  ensureConsoleBuilt();
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  t.ok(scripts.length > 0, 'the app is loaded by a script element');
  for (const [, attrs, body] of scripts) {
    t.match(attrs, /\bsrc="\/console\/assets\/[^"]+\.js"/, 'a script file under /console/assets');
    t.equal(body!.trim(), '', 'with no inline code');
  }
  t.notMatch(html, /<style\b/, 'no <style> element');
  t.notMatch(html, /\sstyle="/, 'no style attribute');
  t.notMatch(html, /\son[a-z]+="/, 'no inline event handler');
});
