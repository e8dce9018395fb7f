// End-to-end: the SDK as host apps use it, from pages on other origins than the importer:
//   - the vanilla JS sample of README.md's tour (UMD <script>, server-side session
//     through the host app's own backend route) on http://localhost:<port>;
//   - the React sample of docs/embedding-importer.md (client-side session with the publishable key), bundled from the docs text
//     (readme-samples.test.mjs runs every page sample against every backend sample);
//   - the demo app on localhost:<fusebox port> embedding the importer from 127.0.0.1:<fusebox port>;
//   - a page on an origin no key allows: the SDK's origin check refuses at once, and the embed page's
//     frame-ancestors would not list it either.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { chromiumArgs, chromiumPath, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, hostApp, importThreeRows, importerFrame, messages, putImporter, recordMessages, secretKey, until } from './lib/importer.mjs';
import { docSample } from './lib/samples.mjs';
import { startServer } from './lib/server.mjs';

const frontend = fileURLToPath(new URL('..', import.meta.url));
const SDK_IMPORTER = {
  slug: 'e2e_sdk',
  name: 'SDK (e2e)',
  columns: [
    { key: 'name', label: 'Name', type: 'string', required: true },
    { key: 'email', label: 'Email', type: 'email', required: true },
  ],
};
const CSV = Buffer.from('name,email\nAda Lovelace,ada@example.com\nAlan Turing,alan@example.com\nGrace Hopper,grace@example.com\n');
/** Three rows for the demo workspace's contacts importer (the only one the demo app offers). */
const CONTACTS_CSV = Buffer.from('first_name,email\nAda,ada@example.com\nAlan,alan@example.com\nGrace,grace@example.com\n');


describe('importer SDK on host pages', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {Awaited<ReturnType<typeof hostApp>>} */
  let host;
  let key = '';
  /** Session tokens handed out by the host app's backend (they must never reach the server log). */
  const tokens = [];
  /** Ids of the sessions the host app's backend created, newest last. */
  const sessionIds = [];
  const tmp = join(frontend, 'node_modules', '.e2e-react-host');

  before(async () => {
    server = await startServer({ args: ['--log-level', 'debug'] }); // request log lines on
    browser = await launchBrowser();
    await putImporter(server, SDK_IMPORTER);
    key = await secretKey(server);
    // The demo's publishable key allows only the demo's importers: the host
    // app gets one of its own for its importer, as a real app does.
    const pk = await api(server, await adminToken(server), 'POST', '/api/admin/keys', {
      name: 'e2e browser',
      kind: 'publishable',
      importers: [SDK_IMPORTER.slug],
      origins: ['http://127.0.0.1:*', 'http://localhost:*'],
    });
    const publishable = pk.secret;
    assert.match(publishable, /^fbx_pk_/);

    const vanilla = (await docSample('page-vanilla')).code
      .replaceAll('http://127.0.0.1:8787', server.url)
      .replaceAll('YOUR_IMPORTER_SLUG', SDK_IMPORTER.slug);
    const app = (await docSample('page-react-client')).code
      .replaceAll('http://127.0.0.1:8787', server.url)
      .replaceAll('YOUR_IMPORTER_SLUG', SDK_IMPORTER.slug)
      .replaceAll('YOUR_PUBLISHABLE_KEY', publishable);

    // Bundle the React sample as a host app would (the SDK module is the file Fusebox serves).
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'App.jsx'), app);
    await writeFile(join(tmp, 'main.jsx'), "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\ncreateRoot(document.getElementById('root')).render(<App />);\n");
    const out = await build({
      configFile: false,
      root: tmp,
      logLevel: 'warn',
      plugins: [react()],
      resolve: { alias: { '@fusebox/importer': join(frontend, 'dist', 'sdk', 'importer.js') } },
      build: { write: false, minify: false, rollupOptions: { input: join(tmp, 'main.jsx'), output: { format: 'es', entryFileNames: 'react.js' } } },
    });
    const chunk = (Array.isArray(out) ? out[0] : out).output.find((o) => o.type === 'chunk' && o.isEntry);
    assert.ok(chunk, 'the React sample bundled');

    host = await hostApp({
      '/vanilla.html': vanilla,
      '/react.html': '<!doctype html><html><body><div id="root"></div><script type="module" src="/react.js"></script></body></html>',
      '/react.js': chunk.code,
      // The host app's backend: the seed's server-side pattern, with a secret key.
      '/api/getSessionToken': async (_req, body) => {
        const { importerSlug } = JSON.parse(body || '{}');
        const res = await fetch(`${server.url}/api/v1/importer/sessions`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ importer_slug: importerSlug, metadata: { user_id: 'vanilla-user' } }),
        });
        const data = await res.json();
        if (data.token) tokens.push(data.token);
        if (data.id) sessionIds.push(data.id);
        return { status: res.ok ? 200 : 500, json: res.ok ? { token: data.token } : { error: 'Failed to get session token' } };
      },
    });
  });

  after(async () => {
    const log = server?.stderr() ?? '';
    assert.ok(log.includes('/embed/importer'), 'request log lines are on');
    for (const t of tokens) assert.ok(!log.includes(t), 'a session token reached the server log');
    await browser?.close();
    await host?.close();
    await server?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  test('the vanilla JS sample (UMD, server-side session) on localhost imports and gets complete', async () => {
    const { context, page, errors } = await newPage(browser);
    await recordMessages(page);
    await page.goto(`${host.origin('localhost')}/vanilla.html`);
    await page.getByRole('button', { name: 'Import contacts' }).click();
    await importThreeRows(page, CSV);
    await screenshot(page, 'importer-sdk-vanilla-done');
    const status = page.getByRole('status');
    await until(async () => /^Imported 3 rows \(imp_\w+\)$/.test(await status.innerText()), 'onComplete in the page');
    const msgs = await messages(page);
    assert.ok(msgs.length >= 2 && msgs.every((m) => m.origin === server.url), JSON.stringify(msgs));
    assert.deepEqual(msgs.find((m) => m.type === 'complete')?.payload.counts, { rows: 3, records: 3, error_rows: 0, excluded_rows: 0 });

    const list = await api(server, key, 'GET', '/api/v1/imports?metadata[user_id]=vanilla-user');
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].status, 'completed');
    assert.equal((await status.innerText()).includes(list.data[0].slug), true);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the React sample (client-side session with the publishable key) imports and gets complete', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${host.origin('localhost')}/react.html`);
    await page.getByRole('button', { name: 'Show Importer' }).click();
    await importThreeRows(page, CSV);
    const status = page.getByRole('status');
    await until(async () => /^Imported 3 rows \(imp_\w+\)$/.test(await status.innerText()), 'onComplete in the React state');
    const slug = /\((imp_\w+)\)/.exec(await status.innerText())?.[1];
    const imp = await api(server, key, 'GET', `/api/v1/imports/${slug}`);
    assert.equal(imp.status, 'completed');
    assert.equal(imp.template.slug, SDK_IMPORTER.slug);
    // the close button of the done screen closes the modal
    await importerFrame(page).getByRole('button', { name: 'Close' }).click();
    await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the demo on localhost embeds the importer from 127.0.0.1: events arrive from that origin', async () => {
    const local = server.url.replace('127.0.0.1', 'localhost');
    const { context, page, errors } = await newPage(browser);
    await recordMessages(page);
    await page.goto(`${local}/demo?fusebox=${encodeURIComponent(server.url)}`);
    // The demo offers the demo workspace's importers only.
    await page.getByLabel('Importer').selectOption('contacts');
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
    assert.equal(new URL(await page.locator('iframe.fusebox-importer-frame').getAttribute('src') ?? '').origin, server.url);
    await frame.getByRole('button', { name: 'Cancel' }).click();
    await frame.getByRole('alertdialog').waitFor();
    await screenshot(page, 'importer-cancel-confirm');
    await frame.getByRole('button', { name: 'Yes, cancel' }).click();
    await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
    await page.getByRole('list', { name: 'Events' }).getByText('the user cancelled').waitFor();
    const msgs = await messages(page);
    assert.deepEqual(msgs.map((m) => m.type), ['ready', 'cancel']);
    assert.ok(msgs.every((m) => m.origin === server.url));
    // The cancel reached the server before the host page heard of it: the console lists it as cancelled.
    const cancelled = await api(server, await adminToken(server), 'GET', '/api/admin/imports?status=cancelled&importer=contacts');
    assert.equal(cancelled.total, 1, JSON.stringify(cancelled));
    assert.equal(cancelled.imports[0].state, 'cancelled');
    assert.ok(cancelled.imports[0].cancelled_at);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a page on an origin no key allows cannot frame the importer (frame-ancestors)', async () => {
    const evil = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [...chromiumArgs, '--host-resolver-rules=MAP evil.test 127.0.0.1'],
    });
    try {
      const { context, page, errors } = await newPage(evil);
      await recordMessages(page);
      let tokenAsked = 0;
      await page.route('**/api/getSessionToken', (route) => {
        tokenAsked++;
        return route.continue();
      });
      const origin = host.origin('evil.test');
      await page.goto(`${origin}/vanilla.html`);
      await page.getByRole('button', { name: 'Import contacts' }).click();
      // the SDK asks the server first (GET /api/v1/embed/check) and tells the page at once (onError)
      const status = page.getByRole('status');
      await until(async () => (await status.innerText()).startsWith('Import failed: this page ('), 'onError for the refused origin', 10_000);
      assert.match(await status.innerText(), /publishable key/);
      assert.match(await status.innerText(), /settings\.allowed_origins/);
      assert.deepEqual(await messages(page), [], 'no message from a refused importer');
      assert.equal(await importerFrame(page).getByRole('heading', { name: 'Upload a file' }).count(), 0);
      const csp = (await fetch(`${server.url}/embed/importer?origin=${encodeURIComponent(origin)}`)).headers.get('content-security-policy');
      assert.ok(csp && !csp.includes('evil.test'), csp ?? '');
      assert.ok(tokenAsked <= 1);
      await screenshot(page, 'importer-refused-origin');
      await context.close();
    } finally {
      await evil.close();
    }
  });

  test('a token that arrives in the URL is used once and taken out of the address bar', async () => {
    const session = await api(server, key, 'POST', '/api/v1/importer/sessions', { importer_slug: SDK_IMPORTER.slug, metadata: { user_id: 'url-token' } });
    tokens.push(session.token);
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${server.url}/embed/importer?token=${session.token}&locale=it`);
    await page.getByRole('heading', { name: 'Carica un file' }).waitFor();
    assert.equal(new URL(page.url()).search, '?locale=it');
    assert.ok(!page.url().includes(session.token));
    assert.deepEqual(errors, []);
    await page.goBack(); // replaced, not pushed: Back does not lead to the address with the token
    assert.equal(page.url(), 'about:blank');
    await context.close();
  });

  test('a session revoked mid-flow ends the import with an error event', async () => {
    const { context, page, errors } = await newPage(browser);
    await recordMessages(page);
    await page.goto(`${host.origin('localhost')}/vanilla.html`);
    const before = sessionIds.length;
    await page.getByRole('button', { name: 'Import contacts' }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
    assert.equal(sessionIds.length, before + 1);
    await api(server, key, 'DELETE', `/api/v1/importer/sessions/${sessionIds.at(-1)}`);
    await frame.getByTestId('file-input').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: CSV });
    await frame.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    assert.match(await frame.getByRole('alert').innerText(), /session has expired or is not valid/);
    const status = page.getByRole('status');
    await until(async () => (await status.innerText()).startsWith('Import failed: Your import session'), 'onError in the page');
    const msgs = await messages(page);
    assert.deepEqual(msgs.filter((m) => m.type === 'error').map((m) => m.payload.code), ['EUNAUTHORIZED']);
    await screenshot(page, 'importer-session-revoked');
    assert.deepEqual(errors.filter((e) => !/401.*\/file\?name=people\.csv/.test(e)), []);
    await context.close();
  });

  test("the demo's client-side session button (publishable key) imports for the signed-in user", async () => {
    const user = `client${Date.now()}`;
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${server.url}/demo?user=${user}`);
    // The demo offers the demo workspace's importers only.
    await page.getByLabel('Importer').selectOption('contacts');
    await page.getByRole('button', { name: 'Import data (client-side session)' }).click();
    await importThreeRows(page, CONTACTS_CSV);
    await importerFrame(page).getByRole('button', { name: 'Close' }).click();
    const list = await api(server, key, 'GET', `/api/v1/imports?metadata[user_id]=${user}`);
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].status, 'completed');
    await page.locator(`tr[data-slug="${list.data[0].slug}"]`).waitFor();
    await screenshot(page, 'importer-demo-imports');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
