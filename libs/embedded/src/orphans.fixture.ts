// A stand-in for the gateway in orphans.int.test.ts: starts nats-server and Postgres on the folder
// it is given, writes a row, prints the pids as one JSON line and waits to be killed.
import path from 'node:path';
import pg from 'pg';
import { startNatsServer, startPostgres } from './index.ts';
import { watchdogPid } from './watchdog.ts';

const dir = process.argv[2] as string;
const nats = await startNatsServer({ storeDir: path.join(dir, 'nats') });
const postgres = await startPostgres({ dataDir: path.join(dir, 'pg'), ephemeral: true });
const client = new pg.Client({ connectionString: postgres.url });
await client.connect();
await client.query("CREATE TABLE IF NOT EXISTS kept (v text); INSERT INTO kept VALUES ('before the kill')");
await client.end();
console.log(JSON.stringify({ nats: nats.pid, postgres: postgres.pid, watchdog: watchdogPid() }));
setInterval(() => {}, 60_000);
