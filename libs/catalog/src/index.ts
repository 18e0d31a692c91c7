export { ConfigView, type ViewEvents, sha256Hex } from './view.ts';
export { type Catalog, openCatalog } from './catalog.ts';
export { type Target, selectRoutes, selectTargets } from './select.ts';
