// @fusebox/importer/marketplace: the marketplace host helper, from the same source Fusebox serves
// at /sdk/marketplace.js.
export * from '../../../src/sdk/marketplace';
export { default } from '../../../src/sdk/marketplace';
