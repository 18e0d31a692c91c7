import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import t from 'tap';
import { chooseLogFormat, createLogger } from './logger.ts';

function sink(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

t.test('format: a terminal gets readable lines, anything else JSON, unless LOG_FORMAT says', async (t) => {
  t.equal(chooseLogFormat('auto', true), 'pretty');
  t.equal(chooseLogFormat('auto', false), 'json');
  t.equal(chooseLogFormat('json', true), 'json', 'json forces JSON on a terminal');
  t.equal(chooseLogFormat('pretty', false), 'pretty', 'pretty forces readable lines into a pipe');
  t.equal(chooseLogFormat('json', false), 'json');
  t.equal(chooseLogFormat('pretty', true), 'pretty');
});

t.test('pretty: one readable line per entry, with time, level, name, message and fields', async (t) => {
  const out = sink();
  const log = createLogger('info', 'hookstream', out.stream, 'pretty');
  log.child({ role: 'api' }).info({ url: 'http://localhost:8080' }, 'hookstream is listening');
  log.warn({ attempts: 3 }, 'retrying');
  await tick();
  const lines = out.lines();
  t.equal(lines.length, 2, 'one line each');
  t.match(
    lines[0],
    /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(hookstream\): hookstream is listening \{"role":"api","url":"http:\/\/localhost:8080"\}$/,
  );
  t.match(lines[1], /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(hookstream\): retrying \{"attempts":3\}$/);
  t.notOk(lines[0]?.includes('\u001b['), 'no colour codes when writing to a stream that is not the terminal');
  t.notMatch(lines[0], /"pid"|"hostname"/, 'no process noise');
  t.throws(() => JSON.parse(lines[0] as string), 'not JSON');
});

t.test('pretty: secrets are redacted as in JSON', async (t) => {
  const out = sink();
  createLogger('info', 'hookstream', out.stream, 'pretty').info(
    { destination: { signing_secret: 'whsec_abc' } },
    'created',
  );
  await tick();
  t.notMatch(out.lines().join('\n'), /whsec_abc/);
  t.match(out.lines()[0], /\[redacted\]/);
});

t.test('tokens in request headers are redacted', async (t) => {
  const out = sink();
  const headers = {
    'x-operator-token': 'operator-secret-123456',
    'x-signup-token': 'signup-secret-123456',
    'user-agent': 'curl',
  };
  const log = createLogger('info', 'hookstream', out.stream);
  log.info({ req: { headers } }, 'request');
  log.info({ headers }, 'headers');
  await tick();
  const text = out.lines().join('\n');
  t.notMatch(text, /operator-secret|signup-secret/);
  t.match(text, /curl/, 'other headers are kept');
});

t.test('json: one JSON object per entry (the default)', async (t) => {
  const out = sink();
  createLogger('info', 'hookstream', out.stream).info({ event_id: 'e1' }, 'hello');
  await tick();
  const entry = JSON.parse(out.lines()[0] as string);
  t.match(entry, { level: 30, name: 'hookstream', msg: 'hello', event_id: 'e1' });
});

t.test('pino-pretty is loaded only by a pretty logger', async (t) => {
  const loaded = (format: string) =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         import { createLogger } from ${JSON.stringify(new URL('./logger.ts', import.meta.url).href)};
         createLogger('info', 'x', undefined, ${JSON.stringify(format)});
         const cache = createRequire(import.meta.url).cache;
         process.stdout.write(String(Object.keys(cache).some((k) => k.includes('/pino-pretty/'))));`,
      ],
      { encoding: 'utf8' },
    );
  t.equal(loaded('json'), 'false', 'a JSON process does not carry it');
  t.equal(loaded('pretty'), 'true');
});
