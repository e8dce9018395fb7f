// @vitest-environment node
// The built package (the same build `make sdk-pack` packs): no runtime dependencies, only react and
// vue stay imports, every file the exports map names exists, and the declarations are complete.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript without declarations
import { buildPackage, PEERS } from '../build.mjs';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const frontend = resolve(pkgDir, '../..');
const repoRoot = resolve(frontend, '..');

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

/** Module specifiers a built file loads: static and dynamic imports, re-exports, require, AMD define. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]);
  for (const m of code.matchAll(/\bdefine\s*\(\s*\[([^\]]*)\]/g)) {
    for (const s of m[1].matchAll(/["']([^"']+)["']/g)) if (s[1] !== 'exports') out.push(s[1]);
  }
  return out;
}

describe('the @fusebox/importer package', () => {
  let stage = '';
  let pkg: Record<string, any>;

  beforeAll(async () => {
    stage = join(await mkdtemp(join(tmpdir(), 'fusebox-importer-pkg-')), 'package');
    await buildPackage(stage);
    pkg = JSON.parse(await readFile(join(stage, 'package.json'), 'utf8'));
  }, 120_000);
  afterAll(async () => {
    if (stage) await rm(dirname(stage), { recursive: true, force: true });
  });

  it('has no runtime dependencies, and React and Vue as optional peers', () => {
    expect(pkg.name).toBe('@fusebox/importer');
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.peerDependencies).toEqual({ react: '>=18', vue: '>=3' });
    expect(pkg.peerDependenciesMeta).toEqual({ react: { optional: true }, vue: { optional: true } });
    expect(PEERS).toEqual(['react', 'vue']);
  });

  it('carries the product version', async () => {
    const wails = JSON.parse(await readFile(join(repoRoot, 'wails.json'), 'utf8'));
    expect(pkg.version).toBe(wails.info.productVersion);
  });

  it('loads without a DOM (server-side rendering imports it in Node)', async () => {
    const esm = await import(/* @vite-ignore */ pathToFileURL(join(stage, 'dist/index.js')).href);
    expect(typeof esm.default).toBe('function');
    expect(typeof esm.getClientSideToken).toBe('function');
    const market = await import(/* @vite-ignore */ pathToFileURL(join(stage, 'dist/marketplace.js')).href);
    expect(typeof market.default).toBe('function');
    const umd = createRequire(import.meta.url)(join(stage, 'dist/umd/index.umd.cjs'));
    expect(umd.name).toBe('FuseboxImporter');
    expect(typeof umd.getClientSideToken).toBe('function');
  });

  it('a TypeScript app type-checks against the declarations through the exports map', async () => {
    // <tmp>/node_modules holds the package and links to the frontend's react, vue and their types.
    const root = dirname(stage);
    const nm = join(root, 'node_modules');
    await mkdir(join(nm, '@fusebox'), { recursive: true });
    await mkdir(join(nm, '@types'), { recursive: true });
    await symlink(stage, join(nm, '@fusebox/importer'), 'dir');
    for (const p of ['react', 'vue', '@types/react']) await symlink(join(frontend, 'node_modules', p), join(nm, p), 'dir');
    await writeFile(
      join(root, 'app.tsx'),
      `import FuseboxImporter, { getClientSideToken, ImporterError, type CompletePayload } from '@fusebox/importer';
import { FuseboxImporter as ReactImporter } from '@fusebox/importer/react';
import { FuseboxImporter as VueImporter } from '@fusebox/importer/vue';
import FuseboxMarketplace, { parseMarketplaceEvent } from '@fusebox/importer/marketplace';
import { h } from 'vue';

const sdk = new FuseboxImporter({ baseUrl: 'http://127.0.0.1:8787', modal: false, container: '#box' });
sdk.getSessionToken = getClientSideToken({ importer_slug: 'contacts', api_key: 'fbx_pk_x' });
sdk.onError = (e: ImporterError) => console.log(e.code);
const records = (r: CompletePayload): number => r.counts.records;
export const inline = (
  <ReactImporter serverUrl="http://127.0.0.1:8787" importerSlug="contacts" inline style={{ height: 640 }}
    getSessionToken={async ({ importerSlug, metadata }) => String(importerSlug) + JSON.stringify(metadata)}
    onComplete={(r) => records(r)} onError={(e) => e.code} onClose={() => undefined} />
);
// @ts-expect-error serverUrl is required
export const noServer = <ReactImporter importerSlug="contacts" />;
// @ts-expect-error onComplete receives a CompletePayload
export const wrongCallback = <ReactImporter serverUrl="x" onComplete={(r: string) => r} />;
export const vnode = h(VueImporter, { serverUrl: 'http://127.0.0.1:8787', importerSlug: 'contacts', metadata: { user_id: 1 }, onComplete: (r: CompletePayload) => records(r) });
export const market = new FuseboxMarketplace({ baseUrl: 'http://127.0.0.1:8787' }).embedUrl('jwt');
export const event = parseMarketplaceEvent('{}')?.id;
`,
    );
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: true, jsx: 'react-jsx', module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom'], types: [] };
    await writeFile(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.tsx'] }));
    const tsc = spawnSync(process.execPath, [join(frontend, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  it('the docs install the tarball of this version', async () => {
    for (const doc of ['README.md', 'docs/embedding-importer.md', 'frontend/packages/importer/README.md']) {
      const md = await readFile(join(repoRoot, doc), 'utf8');
      const named = [...md.matchAll(/npm install \.\/(fusebox-importer-[^\s`]+\.tgz)/g)].map((m) => m[1]);
      expect(named.length, `${doc} shows npm install ./fusebox-importer-<version>.tgz`).toBeGreaterThan(0);
      expect(new Set(named), doc).toEqual(new Set([`fusebox-importer-${pkg.version}.tgz`]));
    }
  });

  it('the built code imports nothing but react and vue, and its relative imports resolve', async () => {
    const code = (await files(join(stage, 'dist'))).filter((f) => /\.(c?js)$/.test(f));
    expect(code.map((f) => relative(stage, f)).sort()).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/react.js', 'dist/vue.js', 'dist/marketplace.js', 'dist/umd/index.umd.cjs', 'dist/umd/react.umd.cjs', 'dist/umd/vue.umd.cjs', 'dist/umd/marketplace.umd.cjs']),
    );
    const bare = new Set<string>();
    for (const f of code) {
      const text = await readFile(f, 'utf8');
      for (const s of specifiers(text)) {
        if (s.startsWith('.')) expect(existsSync(resolve(dirname(f), s)), `${relative(stage, f)} imports ${s}`).toBe(true);
        else bare.add(`${relative(stage, f)}: ${s}`);
      }
    }
    expect([...bare].sort()).toEqual(['dist/react.js: react', 'dist/umd/react.umd.cjs: react', 'dist/umd/vue.umd.cjs: vue', 'dist/vue.js: vue']);
    // the SDK itself (the "." entry) works without either framework
    const index = await readFile(join(stage, 'dist/index.js'), 'utf8');
    expect(specifiers(index).every((s) => s.startsWith('./'))).toBe(true);
  });

  it('every file the exports map names exists, with a declaration for each entry', () => {
    const subpaths = Object.keys(pkg.exports);
    expect(subpaths).toEqual(['.', './react', './vue', './marketplace', './package.json']);
    for (const [sub, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
      const targets = typeof target === 'string' ? [target] : Object.values(target);
      if (sub !== './package.json') expect(Object.keys(target as object)).toEqual(['types', 'import', 'require']);
      for (const t of targets) expect(existsSync(join(stage, t)), `${sub} -> ${t}`).toBe(true);
    }
    for (const t of [pkg.main, pkg.module, pkg.types]) expect(existsSync(join(stage, t)), t).toBe(true);
  });

  it('the declarations are all there and their relative imports resolve', async () => {
    const dts = (await files(join(stage, 'dist/types'))).filter((f) => f.endsWith('.d.ts'));
    expect(dts.map((f) => relative(join(stage, 'dist/types'), f)).sort()).toEqual([
      'component.d.ts',
      'index.d.ts',
      'marketplace.d.ts',
      'react.d.ts',
      'sdk/importer.d.ts',
      'sdk/marketplace-protocol.d.ts',
      'sdk/marketplace.d.ts',
      'sdk/protocol.d.ts',
      'vue.d.ts',
    ]);
    for (const f of dts) {
      const text = await readFile(f, 'utf8');
      expect(text).not.toContain('../src/sdk');
      for (const s of specifiers(text)) {
        if (s.startsWith('.')) expect(existsSync(resolve(dirname(f), s + '.d.ts')), `${relative(stage, f)} imports ${s}`).toBe(true);
        else expect(['react', 'vue'], `${relative(stage, f)} imports ${s}`).toContain(s);
      }
    }
    expect(await readFile(join(stage, 'dist/types/react.d.ts'), 'utf8')).toMatch(/export declare function FuseboxImporter\(props: FuseboxImporterProps\)/);
    expect(await readFile(join(stage, 'dist/types/vue.d.ts'), 'utf8')).toMatch(/export declare const FuseboxImporter: import\("vue"\)\.DefineComponent/);
  });
});
