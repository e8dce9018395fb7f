// End-to-end: the npm package @fusebox/importer (dist/npm/fusebox-importer-<version>.tgz, from
// `make sdk-pack`) as a host developer uses it. For React and for Vue, a fresh Vite app in a temp
// dir: its package.json, vite config and entry files are written here, the app component is the
// docs' sample (README.md <!-- sample:npm-react -->, docs/embedding-importer.md
// <!-- sample:npm-vue -->), `npm install ./fusebox-importer-<version>.tgz` installs it with the app's other packages from
// the registry (through the shared npm cache, --prefer-offline), `vite build` bundles it, and a
// tiny host server on http://localhost:<port> serves the build and its backend route
// (POST /api/getSessionToken: a server-side session with a secret key). Chromium completes an
// import through the component against the real bin/fusebox (a third app, on React 18, the lowest
// React the package supports, runs an inline importer whose props change), with a fresh data dir and no origin
// configured (Fusebox listens on loopback, so pages on localhost may embed it).
// An unreachable registry fails the test (CI installs from the registry too).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { api, hostApp, importThreeRows, importerFrame, putImporter, secretKey, until } from './lib/importer.mjs';
import { docSample } from './lib/samples.mjs';
import { repoRoot, startServer } from './lib/server.mjs';

const pkgJson = JSON.parse(await readFile(join(repoRoot, 'frontend/packages/importer/package.json'), 'utf8'));
const TARBALL = join(repoRoot, 'dist', 'npm', `fusebox-importer-${pkgJson.version}.tgz`);

/**
 * The packages of the fresh apps, pinned to versions that install and build with Node 20 and this
 * npm (the frontend builds with the same vite and @vitejs/plugin-react).
 */
const REACT_APP = {
  dependencies: { react: '19.3.1', 'react-dom': '19.3.1' },
  devDependencies: { vite: '8.3.8', '@vitejs/plugin-react': '6.3.0' },
};
/** The lowest React the package supports (peerDependencies react >=18), for the inline page. */
const REACT18_APP = {
  dependencies: { react: '18.3.1', 'react-dom': '18.3.1' },
  devDependencies: { vite: '8.3.8', '@vitejs/plugin-react': '6.3.0' },
};
const VUE_APP = {
  dependencies: { vue: '3.5.45' },
  devDependencies: { vite: '8.3.8', '@vitejs/plugin-vue': '6.0.11' },
};

const CSV = Buffer.from('name,email\nAda Lovelace,ada@example.com\nAlan Turing,alan@example.com\nGrace Hopper,grace@example.com\n');

/** Runs a command; resolves with its output, rejects with it on a non-zero exit or after timeoutMs. */
function run(cmd, args, cwd, timeoutMs = 150_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) did not finish within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('error', (e) => (clearTimeout(timer), reject(e)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code}:\n${out}`));
    });
  });
}

/**
 * The apps install from the npm registry (as CI does): an unreachable registry fails the test at
 * once, with its address, rather than after npm's retries.
 */
async function registryReachable(cwd) {
  const registry = (await run('npm', ['config', 'get', 'registry'], cwd, 30_000)).trim().replace(/\/+$/, '');
  try {
    const res = await fetch(`${registry}/-/ping`, { signal: AbortSignal.timeout(20_000) });
    assert.ok(res.status < 500, `the npm registry ${registry} answers HTTP ${res.status}`);
  } catch (e) {
    throw new Error(`the npm registry ${registry} is unreachable (the fresh apps install from it): ${e instanceof Error ? `${e.message}${e.cause ? ` (${e.cause.message ?? e.cause})` : ""}` : e}`);
  }
}

/**
 * Writes a fresh Vite app into `dir`, installs its packages and the tarball, builds it, and returns
 * the built files as the host server's pages (path -> text).
 */
async function freshApp(dir, name, pkgs, files) {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module', ...pkgs }, null, 2));
  for (const [f, text] of Object.entries(files)) {
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), text);
  }
  const t0 = Date.now();
  // As the README says, in an app with its own packages: the tarball copied in, then
  // `npm install ./fusebox-importer-<version>.tgz`.
  await copyFile(TARBALL, join(dir, basename(TARBALL)));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `./${basename(TARBALL)}`], dir);
  const installMs = Date.now() - t0;
  const installed = JSON.parse(await readFile(join(dir, 'node_modules/@fusebox/importer/package.json'), 'utf8'));
  assert.equal(installed.version, pkgJson.version);
  for (const [dep, version] of Object.entries({ ...pkgs.dependencies, ...pkgs.devDependencies })) {
    const got = JSON.parse(await readFile(join(dir, 'node_modules', dep, 'package.json'), 'utf8')).version;
    assert.equal(got, version, `${name}: ${dep}`);
  }
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies['@fusebox/importer'], `file:${basename(TARBALL)}`);
  const t1 = Date.now();
  await run(join(dir, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], dir);
  const buildMs = Date.now() - t1;
  const pages = {};
  const dist = join(dir, 'dist');
  const walk = async (d) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.(html|js)$/.test(e.name)) pages['/' + relative(dist, p)] = await readFile(p, 'utf8');
    }
  };
  await walk(dist);
  pages['/'] = pages['/index.html'];
  console.log(`# ${name}: npm install ${installMs} ms, vite build ${buildMs} ms`);
  return pages;
}


/**
 * The inline page: the importer inside the page (inline), a locale picker and a user picker whose
 * changes open a new session (the component reopens), getSessionToken sending the page's user.
 */
const INLINE_JSX = `import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { FuseboxImporter } from '@fusebox/importer/react';

function Inline() {
  const [locale, setLocale] = useState('en');
  const [userId, setUserId] = useState('ada');
  const [status, setStatus] = useState('');
  return (
    <main>
      <label>Language <select value={locale} onChange={(e) => setLocale(e.target.value)}><option value="en">English</option><option value="de">Deutsch</option></select></label>
      <label>User <select value={userId} onChange={(e) => setUserId(e.target.value)}><option value="ada">Ada</option><option value="alan">Alan</option></select></label>
      <p role="status">{status}</p>
      <FuseboxImporter
        serverUrl="SERVER_URL"
        importerSlug="IMPORTER_SLUG"
        inline
        style={{ height: 600, border: '1px solid #ccc' }}
        locale={locale}
        metadata={{ userId }}
        getSessionToken={async ({ importerSlug, metadata }) => {
          const res = await fetch('/api/getSessionToken', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ importerSlug, userId: metadata.userId }) });
          return (await res.json()).token;
        }}
        onComplete={(result) => setStatus(\`Imported \${result.counts.records} rows (\${result.import})\`)}
        onError={(error) => setStatus(\`Import failed: \${error.message}\`)}
      />
    </main>
  );
}
createRoot(document.getElementById('app')).render(<Inline />);
`;

const INDEX_HTML = (entry) =>
  `<!doctype html>\n<html>\n  <head><meta charset="utf-8"><title>host app</title></head>\n  <body>\n    <div id="app"></div>\n    <script type="module" src="${entry}"></script>\n  </body>\n</html>\n`;

describe('the npm package in fresh Vite apps', { timeout: 240_000 }, () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  let tmp = '';
  let key = '';
  /** @type {Record<string, Awaited<ReturnType<typeof hostApp>>>} */
  const hosts = {};
  /** Sessions the host backends created: importer slug -> metadata.user_id. */
  const importers = { react: 'e2e_npm_react', react18: 'e2e_npm_react18', vue: 'e2e_npm_vue' };
  /** Sessions the host backends created, in order. */
  const sessions = /** @type {{ app: string, id: string, userId: string }[]} */ ([]);

  before(async () => {
    assert.ok(existsSync(TARBALL), `${TARBALL} is missing: run make sdk-pack`);
    tmp = await mkdtemp(join(tmpdir(), 'fusebox-npm-e2e-'));
    await registryReachable(tmp);
    server = await startServer();
    key = await secretKey(server, 'host app backend');

    const react = (await docSample('npm-react')).code
      .replaceAll('http://127.0.0.1:8787', server.url)
      .replaceAll('importerSlug="contacts"', `importerSlug="${importers.react}"`);
    const vue = (await docSample('npm-vue')).code
      .replaceAll('http://127.0.0.1:8787', server.url)
      .replaceAll('importer-slug="contacts"', `importer-slug="${importers.vue}"`);
    assert.ok(react.includes(importers.react) && vue.includes(importers.vue), 'the samples name the importer "contacts"');

    const [reactPages, react18Pages, vuePages] = await Promise.all([
      freshApp(join(tmp, 'react-app'), 'react-host', REACT_APP, {
        'index.html': INDEX_HTML('/src/main.jsx'),
        'vite.config.js': "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nexport default defineConfig({ plugins: [react()] });\n",
        'src/main.jsx': "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\ncreateRoot(document.getElementById('app')).render(<App />);\n",
        'src/App.jsx': react,
      }),
      freshApp(join(tmp, 'react18-app'), 'react18-host', REACT18_APP, {
        'index.html': INDEX_HTML('/src/inline.jsx'),
        'vite.config.js': "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nexport default defineConfig({ plugins: [react()] });\n",
        'src/inline.jsx': INLINE_JSX.replaceAll('SERVER_URL', server.url).replaceAll('IMPORTER_SLUG', importers.react18),
      }),
      freshApp(join(tmp, 'vue-app'), 'vue-host', VUE_APP, {
        'index.html': INDEX_HTML('/src/main.js'),
        'vite.config.js': "import { defineConfig } from 'vite';\nimport vue from '@vitejs/plugin-vue';\nexport default defineConfig({ plugins: [vue()] });\n",
        'src/main.js': "import { createApp } from 'vue';\nimport App from './App.vue';\ncreateApp(App).mount('#app');\n",
        'src/App.vue': vue,
      }),
    ]);

    for (const [name, pages] of [['react', reactPages], ['react18', react18Pages], ['vue', vuePages]]) {
      hosts[name] = await hostApp({
        ...pages,
        // The host app's backend: a server-side session with the secret key, for the importer the page asks for.
        '/api/getSessionToken': async (_req, body) => {
          const { importerSlug, userId } = JSON.parse(body || '{}');
          if (typeof importerSlug !== 'string') return { status: 400, json: { error: 'importerSlug is required' } };
          const s = await api(server, key, 'POST', '/api/v1/importer/sessions', { importer_slug: importerSlug, metadata: { user_id: userId ?? `${name}-user` } });
          sessions.push({ app: name, id: s.id, userId: userId ?? `${name}-user` });
          return { status: 200, json: { token: s.token } };
        },
      });
      // No origin configured: Fusebox listens on loopback, so pages on localhost may embed it.
      await putImporter(server, {
        slug: importers[name],
        name: `npm ${name} (e2e)`,
        columns: [
          { key: 'name', label: 'Name', type: 'string', required: true },
          { key: 'email', label: 'Email', type: 'email', required: true },
        ],
      });
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    for (const h of Object.values(hosts)) await h.close();
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('react 18, inline: the importer fills the page element; a new locale or user opens a new session', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${hosts.react18.origin('localhost')}/`);
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.fusebox-importer-overlay').count(), 0, 'inline, not a modal');
    assert.equal(await page.locator('[data-fusebox-importer] iframe.fusebox-importer-frame').count(), 1);
    const before = sessions.length;
    await page.getByLabel('Language').selectOption('de');
    await frame.getByRole('heading', { name: 'Datei hochladen' }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'npm-package-react18-inline-de');
    await page.getByLabel('Language').selectOption('en');
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
    await page.getByLabel('User').selectOption('alan');
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
    await until(() => sessions.length >= before + 2 && sessions.at(-1)?.userId === 'alan', 'a session for alan');
    assert.equal(await page.locator('iframe.fusebox-importer-frame').count(), 1, 'the old frame is gone');
    await importThreeRows(page, CSV);
    const status = page.getByRole('status');
    await until(async () => /^Imported 3 rows \(imp_\w+\)$/.test(await status.innerText()), 'onComplete on the inline page');
    const slug = /\((imp_\w+)\)/.exec(await status.innerText())?.[1];
    const imp = await api(server, key, 'GET', `/api/v1/imports/${slug}`);
    assert.deepEqual(imp.metadata, { user_id: 'alan' });
    await screenshot(page, 'npm-package-react18-inline-done');
    assert.deepEqual(errors, []);
    await context.close();
  });

  for (const name of ['react', 'vue']) {
    test(`${name}: the component from the tarball completes an import`, async () => {
      const { context, page, errors } = await newPage(browser);
      await page.goto(`${hosts[name].origin('localhost')}/`);
      await page.getByRole('button', { name: 'Import contacts' }).click();
      await importThreeRows(page, CSV);
      const status = page.getByRole('status');
      await until(async () => /^Imported 3 rows \(imp_\w+\)$/.test(await status.innerText()), `onComplete in the ${name} app`);
      await screenshot(page, `npm-package-${name}-done`);
      const slug = /\((imp_\w+)\)/.exec(await status.innerText())?.[1];
      const imp = await api(server, key, 'GET', `/api/v1/imports/${slug}`);
      assert.equal(imp.status, 'completed');
      assert.equal(imp.template.slug, importers[name]);
      assert.deepEqual(imp.metadata, { user_id: `${name}-user` });
      // The done screen's Close: the component tells the app, which unmounts it.
      await importerFrame(page).getByRole('button', { name: 'Close' }).click();
      await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Import contacts' }).waitFor();
      assert.match(await status.innerText(), /^Imported 3 rows/);
      await screenshot(page, `npm-package-${name}-closed`);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});
