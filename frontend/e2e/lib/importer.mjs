// Helpers for the importer end-to-end tests: admin and public API calls against the real binary,
// the importer iframe, generated files, polling, and a tiny static server that plays a host app on
// another origin.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { launchBrowser } from './browser.mjs';
import { startServer } from './server.mjs';

/** @param {import('./server.mjs').RunningServer} server */
export async function adminToken(server) {
  return (await readFile(join(server.dataDir, 'admin.token'), 'utf8')).trim();
}

/**
 * Calls the server's API with a bearer token; returns the decoded JSON (or text) and fails the test
 * with the server's message on an unexpected status.
 */
export async function api(server, token, method, path, body, { expect = [200, 201, 204] } = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
  const type = res.headers.get('content-type') ?? '';
  return type.includes('application/json') && text ? JSON.parse(text) : text;
}

/**
 * Submits an import (202: a background job) and waits until it ends; returns the import
 * (status completed, or failed with failure_reason).
 */
export async function submitAndWait(server, token, slug) {
  const started = await api(server, token, 'POST', `/api/importer/imports/${slug}/submit`, undefined, { expect: [202] });
  if (started.status !== 'submitting' || !started.progress) throw new Error(`submit ${slug}: ${JSON.stringify(started)}`);
  return until(async () => {
    const imp = await api(server, token, 'GET', `/api/importer/imports/${slug}`);
    return imp.status === 'completed' || imp.status === 'failed' ? imp : null;
  }, `import ${slug} to complete`);
}

/** Creates (or replaces) an importer through the console API. */
export async function putImporter(server, def) {
  return api(server, await adminToken(server), 'PUT', `/api/admin/importers/${def.slug}`, def);
}

/**
 * Makes the demo host app (/demo) in page a host app of the test's own: its backend routes are
 * answered here with the test's secret key through /api/v1, as a customer's backend would, for
 * the given importers. (The demo's own backend acts only on the demo workspace's importers.)
 * @param {import('playwright-core').Page} page
 * @param {import('./server.mjs').RunningServer} server
 * @param {string} key a secret API key
 * @param {{ slug: string, name: string }[]} importers
 */
export async function ownDemoBackend(page, server, key, importers) {
  const path = (/** @type {string} */ p) => (/** @type {URL} */ u) => u.pathname === p;
  await page.route(path('/demo/api/config'), async (route) => {
    const res = await route.fetch();
    const config = await res.json();
    await route.fulfill({ response: res, json: { ...config, importers: importers.map(({ slug, name }) => ({ slug, name })) } });
  });
  await page.route(path('/demo/api/session'), async (route) => {
    const { importer_slug, user_id = '123' } = route.request().postDataJSON();
    const uid = /^[1-9]\d{0,15}$/.test(user_id) ? Number(user_id) : user_id;
    const body = await api(server, key, 'POST', '/api/v1/importer/sessions', { importer_slug, metadata: { user_id: uid } });
    await route.fulfill({ status: 201, json: body });
  });
  await page.route(path('/demo/api/imports'), async (route) => {
    const u = new URL(route.request().url());
    const user = u.searchParams.get('user_id') || '123';
    const body = await api(server, key, 'GET', `/api/v1/imports?metadata[user_id]=${encodeURIComponent(user)}&page=${u.searchParams.get('page') || '1'}`);
    await route.fulfill({ json: body });
  });
}

/** A new secret API key, as a host app backend would hold it. */
export async function secretKey(server, name = 'e2e backend') {
  const k = await api(server, await adminToken(server), 'POST', '/api/admin/keys', { name, kind: 'secret' });
  return k.secret;
}

/** Every record of an import through the bulk export (GET /api/v1/imports/{slug}/records.ndjson). */
export async function allRecords(server, key, slug) {
  const text = await api(server, key, 'GET', `/api/v1/imports/${slug}/records.ndjson`);
  return String(text)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The importer iframe of a host page (the SDK's iframe). */
export function importerFrame(page) {
  return page.frameLocator('iframe.fusebox-importer-frame');
}

/** Polls `fn` until it returns a truthy value (returned) or fails after `timeoutMs` with `what`. */
export async function until(fn, what, timeoutMs = 20_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** Records every postMessage the host page receives (origin + data), from page load on. */
export async function recordMessages(page) {
  await page.addInitScript(() => {
    const w = /** @type {any} */ (window);
    w.__fbxMessages = [];
    window.addEventListener('message', (e) => {
      if (e.data && e.data.source === 'fusebox') w.__fbxMessages.push({ origin: e.origin, type: e.data.type, payload: e.data.payload });
    });
  });
}

export function messages(page) {
  return page.evaluate(() => /** @type {any} */ (window).__fbxMessages ?? []);
}

/**
 * A host app on its own port: `pages` maps paths to HTML/JS text, or to a handler
 * `(req, body) => Promise<{status, json}>` (its backend routes). Returns its origin for a host name
 * (e.g. localhost, or a name mapped to 127.0.0.1 with --host-resolver-rules) and a close function.
 */
export async function hostApp(pages) {
  const srv = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = pages[path];
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (typeof body === 'function') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      try {
        const out = await body(req, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(out.status ?? 200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(out.json));
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: String(e) }));
      }
      return;
    }
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    const type = path.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
  return {
    port,
    origin: (host = 'localhost') => `http://${host}:${port}`,
    close: () => new Promise((resolve) => srv.close(resolve)),
  };
}

/** "1234567" -> "1,234,567" as the importer shows counts in English. */
export const fmt = (n) => n.toLocaleString('en-US');

/**
 * The page errors without the row pages the grid aborted on purpose: when it scrolls past a page
 * before its answer arrives, or the filter changes, it cancels that request (net::ERR_ABORTED).
 */
export function withoutAbortedPages(errors) {
  return errors.filter((e) => !/^request failed: GET \S+\/api\/importer\/imports\/\w+\/rows\?\S*: net::ERR_ABORTED$/.test(e));
}

/**
 * Uploads a 3-row CSV into the importer frame on page and goes through every step (header row,
 * mapping, review, submit) to the done screen.
 * @param {import('playwright-core').Page} page
 * @param {Buffer} csv
 * @param {string} [name] the file name the importer sees
 */
export async function importThreeRows(page, csv, name = 'people.csv') {
  const frame = importerFrame(page);
  await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
  await frame.getByTestId('file-input').setInputFiles({ name, mimeType: 'text/csv', buffer: csv });
  await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByText('All required fields are mapped.').waitFor();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByRole('button', { name: 'Import 3 rows' }).click();
  await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });
}

/**
 * For the tests of the describe block it is called in: before them, starts a server and a browser,
 * creates importer def and a secret key for the host app's backend; after them, stops both. The
 * returned object's fields are set once the tests run.
 * @param {{ slug: string }} def
 */
export function importerSuite(def) {
  const s = {
    /** @type {import('./server.mjs').RunningServer} */ server: /** @type {any} */ (undefined),
    /** @type {import('playwright-core').Browser} */ browser: /** @type {any} */ (undefined),
    key: '',
  };
  before(async () => {
    s.server = await startServer();
    s.browser = await launchBrowser();
    await putImporter(s.server, def);
    s.key = await secretKey(s.server);
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.stop();
  });
  return s;
}

/** A CSV of rows people (id,name,email), one per line after the header. */
export function peopleCSV(rows) {
  const parts = ['id,name,email\n'];
  for (let i = 1; i <= rows; i++) parts.push(`${i},Name ${i},user${i}@example.com\n`);
  return Buffer.from(parts.join(''), 'utf8');
}
