// End-to-end: the Keys & Sessions and Imports console pages against the real
// binary, driven by Chromium the way a person uses them, with the public API
// called the way a host app backend calls it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

describe('keys & sessions', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  let admin = '';

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    admin = (await readFile(join(server.dataDir, 'admin.token'), 'utf8')).trim();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Calls the server as a host app backend (or the console's admin token) would. */
  async function call(method, path, { key, body, headers = {} } = {}) {
    const res = await fetch(server.url + path, {
      method,
      headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // CSV / NDJSON answers
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  test('create a key (revealed once, copied), use it, revoke its session, deactivate it', async () => {
    const { context, page, errors } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.goto(server.urls.console);
    await page.getByTestId('version').waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Keys & Sessions', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Keys & Sessions' }).waitFor();

    // The demo workspace's keys are listed by name and prefix.
    const keysTable = page.getByRole('table', { name: 'API keys' });
    await keysTable.waitFor();
    const names = await keysTable.locator('tbody tr td:first-child').allTextContents();
    assert.deepEqual(names.sort(), ['demo', 'demo (browser)']);

    // Create a secret key.
    await page.getByRole('button', { name: 'Create key' }).click();
    const form = page.getByRole('form', { name: 'Create API key' });
    await form.getByLabel('Name').fill('e2e backend');
    await form.getByRole('button', { name: 'Create key' }).click();
    const reveal = page.getByTestId('new-key');
    await reveal.waitFor();
    const secret = await reveal.inputValue();
    assert.match(secret, /^fbx_sk_[0-9A-Za-z]{43}$/);
    await screenshot(page, 'console-keys-reveal');
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert.equal(await page.getByTestId('new-key').count(), 0);
    assert.equal((await page.content()).includes(secret), false, 'the key is gone from the page once stored');
    const newRow = keysTable.locator('tr', { hasText: 'e2e backend' });
    assert.match(await newRow.innerText(), new RegExp(secret.slice(0, 11) + '…'));

    // The host app's backend uses it.
    const imp = await call('POST', '/api/admin/importers', {
      key: admin,
      body: { slug: 'e2e-people', name: 'E2E people', columns: [{ key: 'name', label: 'Name', type: 'string' }, { key: 'age', label: 'Age', type: 'integer' }] },
    });
    assert.ok(imp.status === 201 || imp.status === 200, `create importer: ${imp.status} ${imp.text}`);
    const sess = await call('POST', '/api/v1/importer/sessions', { key: secret, body: { importer_slug: 'e2e-people', metadata: { user_id: 4242 } } });
    assert.equal(sess.status, 201, sess.text);
    assert.equal((await call('GET', '/api/importer/importer', { key: sess.json.token })).status, 200);

    // The session shows up with its importer, metadata, key and status.
    await page.getByRole('button', { name: 'Refresh' }).click();
    const sessRow = page.getByRole('table', { name: 'Sessions' }).locator(`tr[data-session-id="${sess.json.id}"]`);
    await sessRow.waitFor();
    const cells = await sessRow.locator('td').allTextContents();
    assert.deepEqual(cells.slice(1, 5), ['e2e-people', '{"user_id":4242}', 'server', 'e2e backend']);
    assert.equal(cells[7], 'active');
    // last used is now set: relative, the exact time on hover (the console's one date format)
    assert.equal(await newRow.locator('time').count(), 2);
    assert.match(await newRow.locator('time').nth(1).getAttribute('title'), /\d{4}, \d\d:\d\d/);
    await screenshot(page, 'console-keys');

    // Revoke it in the console: the token stops working.
    await sessRow.getByRole('button', { name: 'Revoke' }).click();
    await sessRow.locator('.ks-status-revoked').waitFor();
    const refused = await call('GET', '/api/importer/importer', { key: sess.json.token });
    assert.equal(refused.status, 401);
    assert.match(refused.json.error.message, /revoked/);

    // Deactivate the key in the console: the API refuses it.
    await newRow.getByRole('button', { name: 'Deactivate' }).click();
    await newRow.getByRole('button', { name: 'Yes, deactivate' }).click();
    await newRow.locator('.ks-status-revoked', { hasText: 'deactivated' }).waitFor();
    const denied = await call('POST', '/api/v1/importer/sessions', { key: secret, body: { importer_slug: 'e2e-people' } });
    assert.equal(denied.status, 401);
    assert.equal(denied.json.error.code, 'EUNAUTHORIZED');

    // A publishable key from the form: only its origin may create sessions (CORS, never *).
    await page.getByRole('button', { name: 'Create key' }).click();
    await form.getByLabel('Name').fill('e2e browser');
    await form.getByLabel(/^Publishable/).check();
    await form.getByLabel('Importers').fill('e2e-people');
    await form.getByLabel('Origins').fill('http://localhost:*');
    await form.getByRole('button', { name: 'Create key' }).click();
    await reveal.waitFor();
    const pub = await reveal.inputValue();
    assert.match(pub, /^fbx_pk_/);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const ok = await call('POST', '/api/v1/importer/sessions', { key: pub, body: { importer_slug: 'e2e-people' }, headers: { Origin: 'http://localhost:3000' } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    const evil = await call('POST', '/api/v1/importer/sessions', { key: pub, body: { importer_slug: 'e2e-people' }, headers: { Origin: 'https://evil.example' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    assert.equal((await call('GET', '/api/v1/imports', { key: pub })).status, 403);

    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the imports page lists imports filtered by status and metadata', async () => {
    // Two end users import through the embed API with their own sessions.
    const key = (await call('POST', '/api/admin/keys', { key: admin, body: { name: 'e2e imports', kind: 'secret' } })).json.secret;
    const importFor = async (userId, csv, submit) => {
      const s = await call('POST', '/api/v1/importer/sessions', { key, body: { importer_slug: 'e2e-people', metadata: { user_id: userId } } });
      const tok = s.json.token;
      const created = await call('POST', '/api/importer/imports', { key: tok, body: {} });
      assert.equal(created.status, 201, created.text);
      const slug = created.json.slug;
      const up = await call('PUT', `/api/importer/imports/${slug}/file?name=people.csv`, { key: tok, body: csv, headers: { 'Content-Type': 'text/csv' } });
      assert.equal(up.status, 200, up.text);
      if (!submit) return slug;
      const mapped = await call('PUT', `/api/importer/imports/${slug}/mapping`, { key: tok, body: { columns: [{ index: 0, key: 'name' }, { index: 1, key: 'age' }] } });
      assert.ok(mapped.status === 202 || mapped.status === 200, mapped.text);
      // Staging runs in the background; the import reaches the review step.
      await until(async () => (await call('GET', `/api/importer/imports/${slug}`, { key: tok })).json?.step === 'review',
        `import ${slug} to reach the review step`, 20_000, 50);
      const sub = await call('POST', `/api/importer/imports/${slug}/submit`, { key: tok });
      assert.equal(sub.status, 202, sub.text);
      assert.equal(sub.json.status, 'submitting', sub.text);
      await until(async () => (await call('GET', `/api/importer/imports/${slug}`, { key: tok })).json?.status === 'completed',
        `import ${slug} to complete`, 20_000, 50);
      return slug;
    };
    const a = await importFor(101, 'name,age\nAda,36\nAlan,41\n', true);
    const b = await importFor(202, 'name,age\nGrace,85\n', true);
    const c = await importFor(101, 'name,age\nLinus,28\n', false);

    // The host app's view: the public API, filtered by metadata.
    const mine = await call('GET', '/api/v1/imports?metadata[user_id]=101&status=completed', { key });
    assert.deepEqual(mine.json.data.map((d) => d.slug), [a]);
    const csv = await call('GET', `/api/v1/imports/${a}/records.csv`, { key });
    assert.equal(csv.text, 'name,age\nAda,36\nAlan,41\n');

    const { context, page, errors } = await newPage(browser);
    await context.setExtraHTTPHeaders({ Authorization: `Bearer ${admin}` });
    await page.goto(`${server.url}/#/imports`);
    const table = page.getByRole('table', { name: 'Imports' });
    await table.waitFor();
    const slugs = async () => table.locator('tbody tr td:first-child').allTextContents();
    assert.deepEqual(await slugs(), [c, b, a]);

    const filters = page.getByRole('form', { name: 'Filter imports' });
    await filters.getByLabel('Metadata value 1').fill('101');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/#\/imports\?metadata\[user_id\]=101$/);
    await table.locator(`tr[data-import="${b}"]`).waitFor({ state: 'detached' });
    // The page shows "Loading imports…" instead of the table while it asks
    // again: wait for the filtered list before reading it.
    await table.locator(`tr[data-import="${a}"]`).waitFor();
    assert.deepEqual(await slugs(), [c, a]);

    await filters.getByLabel('Import status').selectOption('completed');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await table.locator(`tr[data-import="${c}"]`).waitFor({ state: 'detached' });
    await table.locator(`tr[data-import="${a}"]`).waitFor();
    assert.deepEqual(await slugs(), [a]);
    await screenshot(page, 'console-imports');

    // The detail view shows the typed records.
    await table.getByRole('link', { name: a }).click();
    const records = page.getByRole('table', { name: 'Records' });
    await records.waitFor();
    assert.deepEqual(await records.locator('tbody tr').first().locator('td').allTextContents(), ['1', 'Ada', '36']);
    await screenshot(page, 'console-import-detail');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
