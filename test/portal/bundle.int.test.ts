// The built portal page as the server sends it: its scripts and styles are files of the console's
// build under /console/assets, so the portal's CSP (no inline script or style) refuses nothing.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureConsoleBuilt } from '../console/browser.ts';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'apps', 'console', 'dist');

t.test('portal.html loads only files of the build, nothing inline', async (t) => {
  ensureConsoleBuilt();
  const html = readFileSync(join(dist, 'portal.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  t.equal(scripts.length, 1, 'one script element');
  for (const [, attrs, body] of scripts) {
    t.match(attrs, /\bsrc="\/console\/assets\/portal-[^"]+\.js"/, 'the portal entry under /console/assets');
    t.equal(body!.trim(), '', 'with no inline code');
  }
  for (const [, href] of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/g)) {
    t.ok(href!.startsWith('/console/assets/') || href === 'data:,', `${href}: a file of the build`);
  }
  t.notMatch(html, /<style\b/, 'no <style> element');
  t.notMatch(html, /\sstyle="/, 'no style attribute');
  t.notMatch(html, /\son[a-z]+="/, 'no inline event handler');
});
