export * from './streams.ts';
export * from './messages.ts';
export * from './records.ts';
export * from './read-models.ts';
export * from './errors.ts';
export * as api from './api.ts';
export * as consoleApi from './console-api.ts';
export * as portalApi from './portal-api.ts';
export * from './audit.ts';
