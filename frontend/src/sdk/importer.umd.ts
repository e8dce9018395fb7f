// Entry of the UMD build (dist/sdk/importer.umd.js): a plain <script> tag gets the class as the
// global `FuseboxImporter`, with the client-side session helpers hung on it:
//   FuseboxImporter.getClientSideToken({...}), FuseboxImporter.getFuseClientSideToken({...}).
// The ES build uses importer.ts directly.
import FuseboxImporter, { getClientSideToken, getFuseClientSideToken } from './importer';

const Global = Object.assign(FuseboxImporter, { getClientSideToken, getFuseClientSideToken, FuseboxImporter });

export default Global;
