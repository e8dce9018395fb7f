// Entry of the UMD build (dist/sdk/importer.umd.js): a plain <script> tag gets the
// class as the global `FuseboxImporter`. The ES build uses importer.ts directly.
import FuseboxImporter from './importer';

export default FuseboxImporter;
