// Builds the npm package @fusebox/importer from the SDK sources (frontend/src/sdk) and this
// folder's React/Vue components, and packs it:
//   node packages/importer/build.mjs            -> <repo>/dist/npm/fusebox-importer-<version>.tgz
//   node packages/importer/build.mjs --out DIR  -> DIR/fusebox-importer-<version>.tgz
// The package (staged in DIR/package) holds
//   dist/{index,react,vue,marketplace}.js       ES modules (shared code in dist/chunks/)
//   dist/umd/*.umd.cjs                          UMD (globals FuseboxImporter, FuseboxImporterReact,
//                                               FuseboxImporterVue, FuseboxMarketplace)
//   dist/types/*.d.ts                           declarations (tsc --emitDeclarationOnly)
// with no runtime dependencies: react and vue are optional peers and stay imports.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const pkgDir = fileURLToPath(new URL('.', import.meta.url));
const frontend = resolve(pkgDir, '../..');
const repoRoot = resolve(frontend, '..');

/** Imports the package keeps as imports: its optional peers. */
export const PEERS = ['react', 'vue'];
const external = (id) => PEERS.some((p) => id === p || id.startsWith(p + '/'));

const ENTRIES = {
  index: join(pkgDir, 'src/index.ts'),
  react: join(pkgDir, 'src/react.ts'),
  vue: join(pkgDir, 'src/vue.ts'),
  marketplace: join(pkgDir, 'src/marketplace.ts'),
};
const UMD = [
  // The SDK's UMD entry: the class is the global, with the client-side token helpers on it.
  { name: 'index', entry: join(frontend, 'src/sdk/importer.umd.ts'), global: 'FuseboxImporter', exports: 'default' },
  { name: 'react', entry: ENTRIES.react, global: 'FuseboxImporterReact', exports: 'named' },
  { name: 'vue', entry: ENTRIES.vue, global: 'FuseboxImporterVue', exports: 'named' },
  { name: 'marketplace', entry: ENTRIES.marketplace, global: 'FuseboxMarketplace', exports: 'named' },
];

export async function packageJson() {
  return JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
}

/** The tarball name npm pack gives: @fusebox/importer 0.1.0 -> fusebox-importer-0.1.0.tgz. */
export async function tarballName() {
  const { name, version } = await packageJson();
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

function viteLib(outDir, lib, output, define) {
  return build({
    configFile: false,
    root: frontend,
    logLevel: 'warn',
    publicDir: false,
    define,
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      sourcemap: true,
      minify: false,
      lib,
      rollupOptions: { external, output },
    },
  });
}

/** Builds the package into `stage` (emptied first): dist/ plus package.json, README.md, LICENSE. */
export async function buildPackage(stage) {
  await rm(stage, { recursive: true, force: true });
  const dist = join(stage, 'dist');
  await mkdir(dist, { recursive: true });

  await viteLib(dist, { entry: ENTRIES, formats: ['es'], fileName: (_f, name) => `${name}.js` }, {
    chunkFileNames: 'chunks/[name]-[hash].js',
  });
  for (const u of UMD) {
    await viteLib(
      join(dist, 'umd'),
      { entry: u.entry, formats: ['umd'], name: u.global, fileName: () => `${u.name}.umd.cjs` },
      { exports: u.exports, globals: { react: 'React', vue: 'Vue' } },
      // UMD has no import.meta: the SDK finds its origin from document.currentScript there.
      { 'import.meta.url': 'undefined' },
    );
  }

  // Declarations: tsc writes them under their source paths (src/sdk/..., packages/importer/src/...);
  // the package has them flat in dist/types, with the SDK's in dist/types/sdk.
  const tmp = await mkdtemp(join(tmpdir(), 'fusebox-importer-types-'));
  try {
    const tsc = spawnSync(
      process.execPath,
      [join(frontend, 'node_modules/typescript/bin/tsc'), '-p', join(pkgDir, 'tsconfig.json'), '--outDir', tmp],
      { cwd: frontend, encoding: 'utf8' },
    );
    if (tsc.status !== 0) throw new Error(`@fusebox/importer: tsc --emitDeclarationOnly failed:\n${tsc.stdout}${tsc.stderr}`);
    const types = join(dist, 'types');
    await mkdir(join(types, 'sdk'), { recursive: true });
    const moves = [
      [join(tmp, 'src/sdk'), join(types, 'sdk')],
      [join(tmp, relative(frontend, join(pkgDir, 'src'))), types],
    ];
    for (const [from, to] of moves) {
      for (const f of await readdir(from)) {
        if (!f.endsWith('.d.ts')) continue;
        const text = await readFile(join(from, f), 'utf8');
        // packages/importer/src/x.d.ts imports '../../../src/sdk/y': in dist/types that is './sdk/y'.
        await writeFile(join(to, f), text.replaceAll(/(['"])\.\.\/\.\.\/\.\.\/src\/sdk\//g, '$1./sdk/'));
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  for (const f of ['package.json', 'README.md', 'LICENSE']) await copyFile(join(pkgDir, f), join(stage, f));
  return stage;
}

/** npm pack of the staged package into `dest`; returns the tarball's path. */
export async function pack(stage, dest) {
  await mkdir(dest, { recursive: true });
  const npm = spawnSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: stage, encoding: 'utf8' });
  if (npm.status !== 0) throw new Error(`@fusebox/importer: npm pack failed:\n${npm.stdout}${npm.stderr}`);
  const [info] = JSON.parse(npm.stdout);
  return join(dest, info.filename);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const dest = i > 0 ? resolve(process.argv[i + 1]) : join(repoRoot, 'dist', 'npm');
  const stage = await buildPackage(join(dest, 'package'));
  const tgz = await pack(stage, dest);
  const want = await tarballName();
  if (!tgz.endsWith('/' + want)) throw new Error(`@fusebox/importer: npm pack wrote ${tgz}, want ${want}`);
  console.log(`sdk-pack: ${relative(process.cwd(), tgz)}`);
}
