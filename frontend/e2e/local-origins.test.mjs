// End-to-end: local origins need no setup. Fusebox on a fresh data dir (no demo, so no key lists any
// origin) with one importer and no allowed origins, listening on 127.0.0.1 (a loopback listener):
//   - a host page on http://localhost:<another port> completes an import through the SDK with a
//     server-side session, with no origin configured anywhere;
//   - the same page from a name that is not loopback (hostpage.test, mapped to 127.0.0.1 in
//     Chromium) fails at once with EEMBED: the SDK's origin check refuses before any frame loads,
//     and the message names both fixes and the console link;
//   - the console's importer page lists the origin under "Origins recently refused"; one click on
//     "Allow this origin" adds it to settings.allowed_origins, and the same page then imports.
// (The non-loopback listener case, where localhost pages need configuration too, is tested in Go
// against the real handler: backend/httpapi/origins_security_test.go, app/loopback_security_test.go.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { artifactsDir, chromiumArgs, chromiumPath, newPage } from './lib/browser.mjs';
import { adminToken, api, hostApp, importThreeRows, putImporter, secretKey, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const IMPORTER = {
  slug: 'local_contacts',
  name: 'Local contacts',
  columns: [
    { key: 'name', label: 'Name', type: 'string', required: true },
    { key: 'email', label: 'Email', type: 'email', required: true },
  ],
};
const CSV = Buffer.from('name,email\nAda Lovelace,ada@example.com\nAlan Turing,alan@example.com\nGrace Hopper,grace@example.com\n');

/** The host page: the SDK from Fusebox, a server-side session from its own backend route. */
function hostPage(fuseboxUrl) {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Host app</title></head>
  <body>
    <h1>Host app</h1>
    <button id="import">Import contacts</button>
    <p role="status" id="status"></p>
    <script src="${fuseboxUrl}/sdk/importer.umd.js"></script>
    <script>
      const statusLine = document.getElementById('status');
      const importer = new FuseboxImporter({ baseUrl: '${fuseboxUrl}' });
      importer.getSessionToken = async () => {
        const res = await fetch('/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ importerSlug: '${IMPORTER.slug}' }) });
        return (await res.json()).token;
      };
      importer.onComplete = (result) => (statusLine.textContent = 'Imported ' + result.counts.records + ' rows (' + result.import + ')');
      importer.onError = (error) => (statusLine.textContent = 'Import failed [' + error.code + ']: ' + error.message);
      document.getElementById('import').addEventListener('click', () => { statusLine.textContent = ''; importer.show(); });
    </script>
  </body>
</html>`;
}


describe('local origins need no setup', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {Awaited<ReturnType<typeof hostApp>>} */
  let host;
  let key = '';

  before(async () => {
    server = await startServer({ args: ['--no-demo'] });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [...chromiumArgs, '--host-resolver-rules=MAP hostpage.test 127.0.0.1'],
    });
    await putImporter(server, IMPORTER);
    key = await secretKey(server);
    host = await hostApp({
      '/page.html': hostPage(server.url),
      // The host app's backend: a server-side session with its secret key.
      '/api/session': async (_req, body) => {
        const { importerSlug } = JSON.parse(body || '{}');
        const s = await api(server, key, 'POST', '/api/v1/importer/sessions', { importer_slug: importerSlug, metadata: { user_id: 'local' } });
        return { json: { token: s.token } };
      },
    });
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await server?.stop();
  });

  test('a fresh data dir has no origin configured anywhere', async () => {
    const admin = await adminToken(server);
    const keys = await api(server, admin, 'GET', '/api/admin/keys');
    assert.deepEqual(keys.data.filter((k) => k.kind === 'publishable'), [], 'no publishable key');
    const imp = await api(server, admin, 'GET', `/api/admin/importers/${IMPORTER.slug}`);
    assert.deepEqual(imp.settings?.allowed_origins ?? [], []);
    assert.notEqual(host.port, Number(new URL(server.url).port));
  });

  test('a host page on http://localhost:<port> imports with no origin configured', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${host.origin('localhost')}/page.html`);
    await page.getByRole('button', { name: 'Import contacts' }).click();
    await importThreeRows(page, CSV);
    const status = page.getByRole('status');
    await until(async () => /^Imported 3 rows \(imp_\w+\)$/.test(await status.innerText()), 'onComplete in the page');
    const list = await api(server, key, 'GET', '/api/v1/imports?metadata[user_id]=local');
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].status, 'completed');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the page from a non-loopback origin fails at once with EEMBED, then imports after the console allows it', async () => {
    const origin = host.origin('hostpage.test');
    const { context, page } = await newPage(browser);
    /** @type {string[]} */
    const embedLoads = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/embed/importer') embedLoads.push(r.url());
    });
    await page.goto(`${origin}/page.html`);
    await page.getByRole('button', { name: 'Import contacts' }).click();
    const status = page.getByRole('status');
    await until(async () => (await status.innerText()).startsWith('Import failed [EEMBED]'), 'EEMBED in the page', 10_000);
    const message = await status.innerText();
    // At once: the SDK's check refused before any frame loaded the importer (not the 5 s ready timeout).
    assert.deepEqual(embedLoads, [], 'the embed page was never requested');
    assert.equal(await page.locator('iframe.fusebox-importer-frame').count(), 0);
    assert.ok(message.includes(`this page (${origin}) may not embed the importer "${IMPORTER.slug}"`), message);
    assert.ok(message.includes(`add ${origin} to the importer's settings.allowed_origins`), message);
    assert.ok(message.includes('or add it to the origins of an active publishable key'), message);
    assert.ok(message.includes(`console: ${server.url}/#/importers/${IMPORTER.slug}`), message);
    assert.ok(message.includes(`console: ${server.url}/#/keys`), message);

    // The console lists the refused origin; "Allow this origin" allows it.
    const admin = await newPage(browser);
    await admin.page.goto(server.urls.console);
    await admin.page.getByRole('link', { name: 'Importers', exact: true }).waitFor();
    // The SDK's console link: the importer's page.
    await admin.page.evaluate((hash) => (window.location.hash = hash), `#/importers/${IMPORTER.slug}`);
    const panel = admin.page.locator('section.ied-refused');
    const row = panel.locator(`tr[data-origin="${origin}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /once/);
    await admin.page.getByRole('heading', { name: 'Origins recently refused' }).scrollIntoViewIfNeeded();
    await mkdir(artifactsDir, { recursive: true });
    await admin.page.screenshot({ path: join(artifactsDir, 'console-refused-origins.png') }); // the 1280×800 viewport
    await row.getByRole('button', { name: `Allow this origin: ${origin}` }).click();
    await panel.getByRole('status').getByText(`${origin} may now embed this importer`).waitFor();
    await panel.getByTestId('refused-none').waitFor();
    assert.equal(await admin.page.getByLabel('Allowed origins').inputValue(), origin);
    await admin.page.screenshot({ path: join(artifactsDir, 'console-refused-origins-allowed.png') });
    const imp = await api(server, await adminToken(server), 'GET', `/api/admin/importers/${IMPORTER.slug}`);
    assert.deepEqual(imp.settings.allowed_origins, [origin]);
    assert.deepEqual(admin.errors, []);
    await admin.context.close();

    // The same page now imports.
    await page.getByRole('button', { name: 'Import contacts' }).click();
    await importThreeRows(page, CSV);
    await until(async () => /^Imported 3 rows \(imp_\w+\)$/.test(await status.innerText()), 'onComplete after allow');
    await context.close();
  });
});
