export { ConfigView, type ViewEvents, sha256Hex } from './view.ts';
export { type Catalog, type CatalogOptions, openCatalog } from './catalog.ts';
export { type Target, selectRoutes, selectTargets } from './select.ts';
export { Keyring, SecretsKeyError, decodeKey, ephemeralKeyring, generateKey, keyId, sealedKid } from './keyring.ts';
export { type Forgotten, forgetSecrets, openRecord, sealRecord, sealedUnder, sealingContext } from './sealed.ts';
export { type KeySettings, type LoadedKeyring, loadKeyring, readKeyFile, writeKeyFile } from './key-files.ts';
export { type ForgetReport, type ResealReport, forgetKey, resealAll } from './reseal.ts';
