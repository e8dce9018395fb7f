// End-to-end: the importer samples of README.md and docs/embedding-importer.md, read from the
// markdown (lib/samples.mjs), run as a matrix in Chromium against the real binary:
//   - every page sample that asks a backend for the token (vanilla UMD and ES module, React, Vue,
//     Angular, and the npm package's React and Vue components) against every backend sample
//     (Express 5 on Node, Flask, Go, and the curl request), each page served from the backend's own
//     origin on http://localhost:<port>;
//   - every client-side page sample (vanilla, React, Vue, Angular) once, with a publishable key;
// and each run completes an import: upload, header row, mapping, review, submit, onComplete in the
// host page with the record count, and the imports API shows the import. Each backend sample is
// also sent a missing, empty and non-JSON body and must answer 400 with a JSON error saying what to
// send. React, Vue and Angular are built from the docs' text with Vite (Angular in JIT mode), and
// the Angular samples are type-checked with tsc (strict) against the SDK's published .d.ts;
// Express, Vue and Angular come from frontend/e2e/samples/ (its own package.json and lock).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { artifactsDir, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, importThreeRows, importerFrame, putImporter, secretKey, until } from './lib/importer.mjs';
import { allBlocks, allSamples, docSample } from './lib/samples.mjs';
import { startServer } from './lib/server.mjs';

const run = promisify(execFile);
const frontend = fileURLToPath(new URL('..', import.meta.url));
const samplesDir = join(frontend, 'e2e', 'samples');
/** Scratch space for the extracted samples and the cached page build (never committed). */
const work = join(samplesDir, 'node_modules', '.readme-samples');
/** The source of the npm package's entry points (@fusebox/importer/react, /vue). */
const PACKAGE_SRC = join(frontend, 'packages', 'importer', 'src');

/** Pages that ask their backend for the token: sample name -> how the test mounts it. */
const SERVER_PAGES = {
  'page-vanilla': 'html',
  'page-vanilla-esm': 'fragment',
  'page-react': 'react',
  'page-vue': 'vue',
  'page-angular': 'angular',
  // The npm package's components (README.md, docs/embedding-importer.md), built from the package's
  // source here; npm-package.test.mjs installs the packed tarball into fresh apps.
  'npm-react': 'react',
  'npm-vue': 'vue',
};
/** Pages that create the session in the browser with a publishable key. */
const CLIENT_PAGES = {
  'page-vanilla-client': 'fragment',
  'page-react-client': 'react',
  'page-vue-client': 'vue',
  'page-angular-client': 'angular',
};
const BACKENDS = ['node-express', 'python-flask', 'go-backend', 'curl-session'];
/** What every backend sample answers for a body without importerSlug. */
const BAD_BODY_ERROR = 'send {"importerSlug": "..."} as JSON';

/** The importer the samples name (`contacts`, as in the demo workspace), kept small. */
const CONTACTS = {
  slug: 'contacts',
  name: 'Contacts',
  columns: [
    { key: 'first_name', label: 'First name', type: 'string', required: true },
    { key: 'email', label: 'Email', type: 'email', required: true },
  ],
};
const CSV = Buffer.from('first_name,email\nAda,ada@example.com\nAlan,alan@example.com\nGrace,grace@example.com\n');

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  const srv = netServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * A backend sample as a child process, with its output kept for failure messages.
 * @param {string} what
 * @param {string} cmd
 * @param {string[]} args
 * @param {Record<string, string>} env
 */
function startProcess(what, cmd, args, env) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let exited = false;
  const done = new Promise((resolve) => child.once('exit', () => resolve((exited = true))));
  child.once('error', (e) => (log += `\ncannot start ${cmd}: ${e.message}`));
  return {
    what,
    log: () => log,
    exited: () => exited,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await done;
    },
  };
}

/** The page's HTML around a sample. */
function pageHtml(mount, code, sdkUrl, entry) {
  if (mount === 'html') return code;
  if (mount === 'fragment') return `<!doctype html>\n<html>\n<body>\n${code}</body>\n</html>\n`;
  const root = { react: '<div id="root"></div>', vue: '<div id="app"></div>', angular: '<app-importer></app-importer>' }[mount];
  return `<!doctype html>
<html>
<head>
<script type="importmap">${JSON.stringify({ imports: { '@fusebox/importer': sdkUrl } })}</script>
</head>
<body>
${root}
<script type="module" src="/${entry}.js"></script>
</body>
</html>
`;
}

/** The entry module that mounts a framework sample (what a host app's main file does). */
const MAINS = {
  react: (file) => `import { createRoot } from 'react-dom/client';\nimport App from './${file}';\ncreateRoot(document.getElementById('root')).render(<App />);\n`,
  vue: (file) => `import { createApp } from 'vue';\nimport App from './${file}';\ncreateApp(App).mount('#app');\n`,
  angular: (file) =>
    "import '@angular/compiler';\n" +
    "import { provideHttpClient } from '@angular/common/http';\n" +
    "import { bootstrapApplication } from '@angular/platform-browser';\n" +
    `import { ImporterComponent } from './${file}';\n` +
    'bootstrapApplication(ImporterComponent, { providers: [provideHttpClient()] }).catch((e) => console.error(e));\n',
};
const EXT = { react: 'jsx', vue: 'vue', angular: 'ts' };
const MAIN_EXT = { react: 'jsx', vue: 'js', angular: 'ts' };

/**
 * Builds the React, Vue and Angular samples with Vite into modules (`<name>.js` plus shared
 * chunks), '@fusebox/importer' left to the page's import map. The result is cached by the samples'
 * text and the installed packages, so an unchanged run does not build again.
 * @param {Record<string, {mount: string, code: string}>} pages
 * @returns {Promise<{ files: Record<string, string>, built: boolean, ms: number }>}
 */
async function buildPages(pages) {
  const started = Date.now();
  const framework = Object.entries(pages).filter(([, p]) => p.mount in MAINS);
  const hash = createHash('sha256');
  for (const [name, p] of framework) hash.update(`${name}\0${p.mount}\0${p.code}\0${MAINS[p.mount]('x')}\0`);
  for (const lock of [join(samplesDir, 'package-lock.json'), join(frontend, 'package-lock.json')]) hash.update(await readFile(lock));
  for (const dir of [PACKAGE_SRC, join(frontend, 'src', 'sdk')]) {
    for (const f of (await readdir(dir)).sort()) hash.update(`${f}\0`).update(await readFile(join(dir, f)));
  }
  const cache = join(work, `pages-${hash.digest('hex').slice(0, 16)}.json`);
  if (existsSync(cache)) return { files: JSON.parse(await readFile(cache, 'utf8')), built: false, ms: Date.now() - started };

  const src = join(work, 'src');
  await mkdir(src, { recursive: true });
  /** @type {Record<string, string>} */
  const input = {};
  for (const [name, p] of framework) {
    const file = `${name}.${EXT[p.mount]}`;
    await writeFile(join(src, file), p.code);
    await writeFile(join(src, `${name}.main.${MAIN_EXT[p.mount]}`), MAINS[p.mount](file));
    input[name] = join(src, `${name}.main.${MAIN_EXT[p.mount]}`);
  }
  const require = createRequire(join(samplesDir, 'package.json'));
  const vue = (await import(pathToFileURL(require.resolve('@vitejs/plugin-vue')).href)).default;
  const out = await build({
    configFile: false,
    root: src,
    logLevel: 'warn',
    plugins: [react(), vue()],
    resolve: {
      alias: {
        '@fusebox/importer/react': join(PACKAGE_SRC, 'react.ts'),
        '@fusebox/importer/vue': join(PACKAGE_SRC, 'vue.ts'),
      },
      // One React and one Vue for the samples and the package's components.
      dedupe: ['react', 'react-dom', 'vue'],
    },
    // Angular's decorators as the Angular compiler reads them in JIT mode.
    oxc: { decorator: { legacy: true } },
    build: {
      write: false,
      minify: false,
      rollupOptions: {
        input,
        external: ['@fusebox/importer'],
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  });
  /** @type {Record<string, string>} */
  const files = {};
  for (const o of (Array.isArray(out) ? out[0] : out).output) if (o.type === 'chunk') files[`/${o.fileName}`] = o.code;
  for (const name of Object.keys(input)) assert.ok(files[`/${name}.js`], `the ${name} sample was built`);
  await writeFile(cache, JSON.stringify(files));
  return { files, built: true, ms: Date.now() - started };
}

/**
 * Type-checks the Angular samples with TypeScript as an Angular project does (strict, decorators),
 * '@fusebox/importer' being the SDK's declarations that Fusebox serves (/sdk/importer.d.ts).
 * @param {Record<string, {code: string}>} pages
 * @returns {Promise<{ ok: boolean, out: string, ms: number }>}
 */
async function typecheckAngular(pages) {
  const started = Date.now();
  const dir = join(work, 'tsc');
  await mkdir(dir, { recursive: true });
  const files = [];
  for (const [name, p] of Object.entries(pages)) {
    await writeFile(join(dir, `${name}.ts`), p.code);
    files.push(`${name}.ts`);
  }
  const compilerOptions = {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2022', 'DOM'],
    strict: true,
    experimentalDecorators: true,
    noEmit: true,
    skipLibCheck: true,
    paths: { '@fusebox/importer': [join(frontend, 'dist', 'sdk', 'importer.d.ts')] },
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2));
  try {
    await run(process.execPath, [join(frontend, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')]);
    return { ok: true, out: '', ms: Date.now() - started };
  } catch (e) {
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.stdout || e.stderr ? '' : e}`, ms: Date.now() - started };
  }
}

/**
 * A host app's origin: serves the pages and hands POST /api/getSessionToken to its backend
 * (`token`), as a host app's server or its dev server's proxy does.
 * @param {Record<string, string>} files path -> text
 * @param {(req: import('node:http').IncomingMessage, body: Buffer) => Promise<{status: number, type: string, body: string}>} [token]
 * @param {number} [port] 0: any free port
 */
async function hostOrigin(files, token, port = 0) {
  const srv = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (path === '/api/getSessionToken' && token) {
      try {
        const out = await token(req, Buffer.concat(chunks));
        res.writeHead(out.status, { 'Content-Type': out.type });
        res.end(out.body);
      } catch (e) {
        res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: `the backend sample did not answer: ${e}` }));
      }
      return;
    }
    const body = files[path];
    if (body === undefined) {
      res.writeHead(path === '/favicon.ico' ? 204 : 404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': path.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  });
  await new Promise((resolve) => srv.listen(port, '127.0.0.1', resolve));
  const { port: bound } = /** @type {import('node:net').AddressInfo} */ (srv.address());
  return { origin: `http://localhost:${bound}`, close: () => new Promise((resolve) => srv.close(resolve)) };
}

/** Forwards the page's request to a backend sample listening on 127.0.0.1:port. */
const proxyTo = (port) => async (req, body) => {
  const res = await fetch(`http://127.0.0.1:${port}/api/getSessionToken`, {
    method: req.method,
    headers: req.headers['content-type'] ? { 'Content-Type': req.headers['content-type'] } : {},
    body: req.method === 'POST' ? body : undefined,
  });
  return { status: res.status, type: res.headers.get('content-type') ?? 'text/plain', body: await res.text() };
};

/** Sends the backend a request without a usable body; returns status, content type and JSON. */
async function badRequest(port, contentType, body) {
  const res = await fetch(`http://127.0.0.1:${port}/api/getSessionToken`, {
    method: 'POST',
    headers: contentType ? { 'Content-Type': contentType } : {},
    body: body === undefined ? undefined : body,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json };
}


describe('the docs samples as a matrix: every page against every backend', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {import('playwright-core').BrowserContext} */
  let context;
  /** @type {string[]} */
  let errors;
  let key = '';
  /** Backend processes by sample name (curl has none), and their ports. */
  const procs = /** @type {Record<string, ReturnType<typeof startProcess>>} */ ({});
  const ports = /** @type {Record<string, number>} */ ({});
  /** The host origins: one per backend, one for the client-side pages. */
  const hosts = /** @type {Record<string, Awaited<ReturnType<typeof hostOrigin>>>} */ ({});
  /** [page, backend, ms] per completed import, for the report. */
  const timings = /** @type {[string, string, number][]} */ ([]);
  const setup = /** @type {Record<string, number>} */ ({});
  /** The TypeScript check of the Angular samples, run beside the browser. */
  let typecheck = Promise.resolve({ ok: true, out: '', ms: 0 });
  const shots = new Set();

  /**
   * Starts a backend sample on a free port (PORT in its environment) and waits until it answers
   * (a request without a body, which must not crash it). A port taken in between by another
   * process makes the sample exit: then it starts again on another port.
   */
  async function backend(name, cmd, args, env) {
    for (let attempt = 1; ; attempt++) {
      ports[name] = await freePort();
      const proc = (procs[name] = startProcess(name, cmd, args, { ...env, PORT: String(ports[name]) }));
      const deadline = Date.now() + 30_000;
      while (!proc.exited() && Date.now() < deadline) {
        const up = await badRequest(ports[name]).then(() => true, () => false);
        if (up) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const died = proc.exited(); // else: no answer within 30 s
      await proc.stop();
      if (attempt === 3 || !died) throw new Error(`the ${name} sample did not listen on port ${ports[name]}:\n${proc.log()}`);
    }
  }

  before(async () => {
    if (!existsSync(join(samplesDir, 'node_modules', '.package-lock.json'))) {
      throw new Error(`the docs samples' packages are not installed: run make deps-npm (or: cd ${samplesDir} && npm ci)`);
    }
    let t = Date.now();
    const samples = await allSamples();
    const sample = async (name) => (await docSample(name, samples)).code;
    server = await startServer({ args: ['--no-demo'] });
    browser = await launchBrowser();
    const admin = await adminToken(server);
    key = await secretKey(server, 'docs samples backend');
    setup.fusebox = Date.now() - t;

    // The pages, built once, served from every host origin.
    t = Date.now();
    /** @type {Record<string, {mount: string, code: string}>} */
    const pages = {};
    for (const [name, mount] of Object.entries({ ...SERVER_PAGES, ...CLIENT_PAGES })) pages[name] = { mount, code: await sample(name) };
    const built = await buildPages(pages);
    typecheck = typecheckAngular(Object.fromEntries(Object.entries(pages).filter(([, p]) => p.mount === 'angular')));
    setup[built.built ? 'vite build' : 'vite build (cached)'] = built.ms;

    // One backend process per kind, each on its own port.
    t = Date.now();
    const env = { FUSEBOX_URL: server.url, FUSEBOX_SECRET_KEY: key };
    await mkdir(join(work, 'node'), { recursive: true });
    await writeFile(join(work, 'node', 'server.cjs'), await sample('node-express'));
    const listening = [backend('node-express', process.execPath, [join(work, 'node', 'server.cjs')], env)];

    await mkdir(join(work, 'flask'), { recursive: true });
    await writeFile(join(work, 'flask', 'app.py'), await sample('python-flask'));
    listening.push(backend('python-flask', 'python3', [join(work, 'flask', 'app.py')], env));

    // The Go sample in a module of its own (standard library only); the build cache makes a
    // rebuild of unchanged text cheap.
    const goDir = join(work, 'go');
    await mkdir(goDir, { recursive: true });
    await writeFile(join(goDir, 'main.go'), await sample('go-backend'));
    await writeFile(join(goDir, 'go.mod'), 'module hostbackend\n\ngo 1.22\n');
    await run('go', ['build', '-o', 'hostbackend', '.'], { cwd: goDir, env: { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod' } });
    listening.push(backend('go-backend', join(goDir, 'hostbackend'), [], env));
    await Promise.all(listening);
    setup.backends = Date.now() - t;

    // curl: the docs' request run for each page that asks for a token; the page reads its output.
    const curl = await sample('curl-session');
    const curlBackend = async () => {
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', curl], { env: { ...process.env, ...env } });
      return { status: 200, type: 'application/json', body: stdout };
    };

    // The host origins, all on localhost (Fusebox is on 127.0.0.1: another origin).
    // The placeholders the docs ask readers to replace are replaced here, in the pages and the
    // built modules alike.
    const files = (publishableKey = 'YOUR_PUBLISHABLE_KEY') => {
      const out = {};
      for (const [n, p] of Object.entries(pages)) out[`/${n}.html`] = pageHtml(p.mount, p.code, `${server.url}/sdk/importer.js`, n);
      for (const [path, code] of Object.entries(built.files)) out[path] = code;
      return Object.fromEntries(
        Object.entries(out).map(([p, text]) => [
          p,
          text
            .replaceAll('http://127.0.0.1:8787', server.url)
            .replaceAll('YOUR_IMPORTER_SLUG', CONTACTS.slug)
            .replaceAll('YOUR_PUBLISHABLE_KEY', publishableKey),
        ]),
      );
    };
    for (const b of BACKENDS) hosts[b] = await hostOrigin(files(), b === 'curl-session' ? curlBackend : proxyTo(ports[b]));

    // The importer, with no origin configured: pages on localhost embed it while Fusebox listens
    // on loopback, as a reader's first embed does.
    await putImporter(server, CONTACTS);

    // The client-side pages' origin and its publishable key (that origin and importer only).
    const clientPort = await freePort();
    const pk = await api(server, admin, 'POST', '/api/admin/keys', {
      name: 'docs samples browser',
      kind: 'publishable',
      importers: [CONTACTS.slug],
      origins: [`http://localhost:${clientPort}`],
    });
    assert.match(pk.secret, /^fbx_pk_/);
    hosts.client = await hostOrigin(files(pk.secret), undefined, clientPort);

    ({ context, page, errors } = await newPage(browser));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    for (const h of Object.values(hosts)) await h.close();
    for (const p of Object.values(procs)) await p.stop();
    await server?.stop();
    if (timings.length) {
      const lines = [
        `setup: ${Object.entries(setup).map(([k, v]) => `${k} ${v} ms`).join(', ')}`,
        ...timings.map(([p, b, ms]) => `${p.padEnd(22)} ${b.padEnd(14)} ${ms} ms`),
        `${timings.length} imports, ${timings.reduce((a, [, , ms]) => a + ms, 0)} ms in the browser`,
      ];
      await mkdir(artifactsDir, { recursive: true });
      await writeFile(join(artifactsDir, 'readme-samples-matrix.txt'), lines.join('\n') + '\n');
      console.log(lines.join('\n'));
    }
  });

  test('every sample the matrix runs is marked in the docs, and every marked page sample is in the matrix', async () => {
    const samples = await allSamples();
    const matrix = [...Object.keys(SERVER_PAGES), ...Object.keys(CLIENT_PAGES)];
    for (const name of [...matrix, ...BACKENDS]) await docSample(name, samples);
    // A page sample: one that asks a backend for the token, or makes a client-side session.
    const pageSamples = samples.filter((s) => !BACKENDS.includes(s.name) && /\/api\/getSessionToken|getClientSideToken/.test(s.code));
    assert.deepEqual([...new Set(pageSamples.map((s) => s.name))].sort(), [...matrix].sort(), 'a page sample in the docs that the matrix does not run');
    // ...and no such block goes unmarked (so untested).
    const unmarked = (await allBlocks()).filter((b) => !b.marker && /fetch\('\/api\/getSessionToken'|getClientSideToken\(/.test(b.code));
    assert.deepEqual(unmarked.map((b) => `${b.file}:${b.line}`), [], 'a page sample without a <!-- sample:NAME --> marker');
  });

  for (const backend of ['node-express', 'python-flask', 'go-backend']) {
    test(`the ${backend} sample answers a missing, empty or non-JSON body with 400 and a JSON error`, async () => {
      for (const [type, body] of [
        [undefined, undefined],
        ['application/json', ''],
        ['text/plain', 'contacts'],
        ['application/json', '{importerSlug: contacts}'],
        ['application/json', '{}'],
      ]) {
        const res = await badRequest(ports[backend], type, body);
        assert.equal(res.status, 400, `${backend}, body ${JSON.stringify(body)} (${type}): ${JSON.stringify(res)}`);
        assert.match(res.type, /^application\/json/, `${backend}, body ${JSON.stringify(body)} (${type})`);
        assert.deepEqual(res.json, { error: BAD_BODY_ERROR }, `${backend}, body ${JSON.stringify(body)} (${type})`);
      }
      assert.ok(!procs[backend].exited(), `${backend} is still running`);
    });
  }

  /** Opens a page sample on a host origin, imports the file, and checks onComplete and the API. */
  async function importThrough(name, hostName, { serverSide }) {
    const started = Date.now();
    errors.length = 0;
    await page.goto(`${hosts[hostName].origin}/${name}.html`);
    await page.getByRole('button', { name: /^(Show Importer|Import contacts)$/ }).click();
    try {
      await importThreeRows(page, CSV, 'contacts.csv');
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : e}\nthe page's errors: ${JSON.stringify(errors, null, 1)}\nthe page says: ${await page.locator('body').innerText()}`);
    }
    const status = page.getByRole('status');
    const text = await until(async () => {
      const t = await status.innerText();
      return /^Imported 3 rows \(imp_\w+\)$/.test(t) && t;
    }, `onComplete in the ${name} page`);
    const slug = /\((imp_\w+)\)/.exec(text)?.[1];
    const imp = await api(server, key, 'GET', `/api/v1/imports/${slug}`);
    assert.ok(['submitted', 'completed'].includes(imp.status), JSON.stringify(imp));
    assert.equal(imp.row_count, 3);
    assert.equal(imp.template.slug, CONTACTS.slug);
    // The server-side samples attach { user_id: 123 }: the session came from the backend sample.
    if (serverSide) assert.deepEqual(imp.metadata, { user_id: 123 });
    timings.push([name, hostName, Date.now() - started]);
    await importerFrame(page).getByRole('button', { name: 'Close' }).click();
    await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
    if (!shots.has(name)) {
      shots.add(name); // the host page after the import, showing what onComplete wrote
      await screenshot(page, `readme-samples-${name}`);
    }
    assert.deepEqual(errors, []);
  }

  for (const backend of BACKENDS) {
    for (const name of Object.keys(SERVER_PAGES)) {
      test(`${name} with the ${backend} backend completes an import`, () => importThrough(name, backend, { serverSide: true }));
    }
  }

  for (const name of Object.keys(CLIENT_PAGES)) {
    test(`${name} with a publishable key completes an import`, () => importThrough(name, 'client', { serverSide: false }));
  }

  test('the Angular samples type-check as an Angular app compiles them (strict, with the SDK\'s published .d.ts)', async () => {
    const { ok, out, ms } = await typecheck;
    setup['tsc (Angular samples)'] = ms;
    assert.ok(ok, `tsc on the Angular samples:\n${out}`);
  });
});
