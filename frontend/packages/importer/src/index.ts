// @fusebox/importer: the importer SDK, from the same source Fusebox serves at /sdk/importer.js.
export * from '../../../src/sdk/importer';
export { default } from '../../../src/sdk/importer';
export { openImporter, reopenKey } from './component';
export type { FuseboxImporterProps, ImporterHandle, SessionTokenRequest } from './component';
