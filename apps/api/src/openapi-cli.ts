// Writes docs/openapi.json: builds the real API (on a throwaway nats-server, since the app needs a
// catalog and a publisher) and asks @fastify/swagger for the document. `node apps/api/src/openapi-cli.ts`
// writes the file; `--check` exits 1 when the committed one is stale.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectBroker, createPublisher, ensureTopology } from '@hookstream/broker';
import { ephemeralKeyring, openCatalog } from '@hookstream/catalog';
import { loadSettings } from '@hookstream/config';
import { startNatsServer } from '@hookstream/embedded';
import { createLogger } from '@hookstream/observability';
import { buildApi } from './build.ts';

export const SPEC_PATH = path.resolve(import.meta.dirname, '../../../docs/openapi.json');

/** The document as the API built against `natsUrl` serves it at /openapi.json. */
export async function openApiDocument(natsUrl: string): Promise<Record<string, unknown>> {
  const broker = await connectBroker({ servers: natsUrl, name: 'openapi' });
  try {
    await ensureTopology(broker, { replicas: 1, duplicateWindowS: 120 });
    const catalog = await openCatalog(broker, { keyring: ephemeralKeyring() });
    try {
      const app = await buildApi({
        settings: loadSettings({ LOG_LEVEL: 'silent' }),
        catalog,
        publisher: createPublisher(broker),
        log: createLogger('silent'),
      });
      try {
        await app.ready();
        return JSON.parse(JSON.stringify(app.swagger())) as Record<string, unknown>;
      } finally {
        await app.close();
      }
    } finally {
      catalog.close();
    }
  } finally {
    await broker.close();
  }
}

/** Same, on a nats-server of its own in a temporary directory. */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-openapi-'));
  const nats = await startNatsServer({ port: 0, storeDir: path.join(dir, 'jetstream') });
  try {
    return await openApiDocument(nats.url);
  } finally {
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export const serialize = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;

async function main(argv: string[]): Promise<number> {
  const text = serialize(await generateOpenApi());
  if (argv.includes('--check')) {
    const committed = await readFile(SPEC_PATH, 'utf8').catch(() => '');
    if (committed === text) return 0;
    console.error(
      `${path.relative(process.cwd(), SPEC_PATH)} is stale: run \`node apps/api/src/openapi-cli.ts\` and commit it`,
    );
    return 1;
  }
  await writeFile(SPEC_PATH, text);
  console.log(`wrote ${path.relative(process.cwd(), SPEC_PATH)}`);
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
