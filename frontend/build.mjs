// Builds everything the Go binary embeds into frontend/dist:
//   1. the multi-page app (vite.config.ts): console, importer embed, marketplace, demo;
//   2. the SDKs in library mode: dist/sdk/importer.js (ESM), dist/sdk/importer.umd.js
//      (UMD, global FuseboxImporter), dist/sdk/marketplace.js (ESM);
//   3. the SDK type declarations (tsc --emitDeclarationOnly, tsconfig.sdk.json).
// dist/.gitkeep is kept so `go test ./...` compiles on a fresh clone (//go:embed all:dist).
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { build } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = join(root, 'dist');

async function cleanDist() {
  for (const name of await readdir(dist)) {
    if (name !== '.gitkeep') await rm(join(dist, name), { recursive: true, force: true });
  }
}

function sdkBuild({ entry, formats, fileName, name, exports, define }) {
  return build({
    configFile: false,
    root,
    logLevel: 'warn',
    publicDir: false,
    define,
    build: {
      outDir: join(dist, 'sdk'),
      emptyOutDir: false,
      copyPublicDir: false,
      sourcemap: true,
      lib: { entry: resolve(root, entry), formats, fileName, name },
      rollupOptions: { output: { exports } },
    },
  });
}

await cleanDist();
await build({ root, configFile: join(root, 'vite.config.ts') });
await sdkBuild({
  entry: 'src/sdk/importer.ts',
  formats: ['es'],
  fileName: () => 'importer.js',
});
await sdkBuild({
  entry: 'src/sdk/importer.umd.ts',
  formats: ['umd'],
  name: 'FuseboxImporter',
  fileName: () => 'importer.umd.js',
  exports: 'default',
  // UMD has no import.meta: the SDK finds its origin from document.currentScript there.
  define: { 'import.meta.url': 'undefined' },
});
await sdkBuild({
  entry: 'src/sdk/marketplace.ts',
  formats: ['es'],
  fileName: () => 'marketplace.js',
});

const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.sdk.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  console.error('build: SDK type declarations failed (tsc -p tsconfig.sdk.json)');
  process.exit(tsc.status ?? 1);
}
console.log('build: frontend/dist ready (app pages + sdk)');
