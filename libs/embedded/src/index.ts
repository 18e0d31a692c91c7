export { findNatsServer, installNatsServer, NATS_INSTALL_HINT } from './nats-binary.ts';
export { natsEnv, startNatsServer, type NatsServerHandle, type NatsServerOptions } from './nats.ts';
export { startPostgres, type PostgresHandle, type PostgresOptions } from './postgres.ts';
export { freePort } from './process.ts';
