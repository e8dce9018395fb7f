// End-to-end: an importer with a server callback (hooks.validate) to the Node host endpoint of
// docs/hooks.md, read from the doc and run as it is. The endpoint rejects two customer ids and fixes
// one value (UK -> GB); the end user sees both errors in the grid, fixes them and submits. Then the
// endpoint goes silent (SIGSTOP): the next import shows the banner and its submit is blocked
// (invalid_rows: block), and it is never taken as valid.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, allRecords, api, importerFrame, ownDemoBackend, putImporter, secretKey, until, withoutAbortedPages } from './lib/importer.mjs';
import { docSample } from './lib/samples.mjs';
import { startServer } from './lib/server.mjs';

const SECRET = 'e2e-validate-secret';
const CSV = 'customer_id,country,amount\nC-1,FR,10\nX-7,UK,20\nC-3,UK,30\nY-9,DE,40\n';

async function freePort() {
  const s = netServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('server callbacks with the docs endpoint', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('node:child_process').ChildProcess} */
  let host;
  let key = '';
  const def = { slug: 'e2e_orders', name: 'Orders (callbacks)' };

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusebox-validate-'));
    const file = join(dir, 'validate.mjs');
    await writeFile(file, (await docSample('validate-node')).code);
    const port = await freePort();
    host = spawn(process.execPath, [file], { env: { ...process.env, PORT: String(port), FUSEBOX_SIGNING_SECRET: SECRET }, stdio: 'inherit' });
    await until(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).catch(() => null);
      return r !== null; // 401: listening (unsigned)
    }, 'the sample endpoint');
    server = await startServer({ env: { FUSEBOX_VALIDATE_SECRET: SECRET } });
    browser = await launchBrowser();
    await putImporter(server, {
      ...def,
      columns: [
        { key: 'customer_id', label: 'Customer id', required: true },
        { key: 'country', label: 'Country' },
        { key: 'amount', label: 'Amount', type: 'integer' },
      ],
      hooks: { validate: { url: `http://127.0.0.1:${port}/validate`, batch: 2, timeout: '1s', signing_secret: 'FUSEBOX_VALIDATE_SECRET' } },
    });
    // the endpoint is on this machine: the network guard lets it through only when allowed
    const admin = await adminToken(server);
    const settings = await api(server, admin, 'GET', '/api/admin/marketplace/settings');
    await api(server, admin, 'PUT', '/api/admin/marketplace/settings', { ...settings, allowed_hosts: ['127.0.0.1'] });
    key = await secretKey(server);
  });

  after(async () => {
    host?.kill('SIGCONT');
    host?.kill();
    await browser?.close();
    await server?.stop();
  });

  async function toReview(page) {
    await page.goto(`${server.url}/demo?user=cb`);
    await page.getByLabel('Importer').selectOption(def.slug);
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await frame.getByTestId('file-input').setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    return frame;
  }

  test('two rejected ids fixed in the grid and submitted; a silent endpoint blocks submit', async () => {
    const { context, page, errors } = await newPage(browser);
    await ownDemoBackend(page, server, key, [def]);
    let frame = await toReview(page);
    const counts = frame.getByTestId('counts');
    await until(async () => (await counts.innerText()).includes('2 rows with errors'), '2 rows with errors');
    const cell = (row, col) => frame.locator(`[data-row="${row}"] [role=gridcell][data-col=${col}]`);
    assert.equal(await cell(2, 'customer_id').getAttribute('aria-invalid'), 'true');
    assert.equal(await cell(2, 'customer_id').getAttribute('title'), 'customer X-7 does not exist');
    assert.equal(await cell(4, 'customer_id').getAttribute('title'), 'customer Y-9 does not exist');
    assert.equal(await cell(2, 'country').textContent(), 'GB'); // fixed by the endpoint
    assert.equal(await cell(3, 'country').textContent(), 'GB');
    await screenshot(page, 'callbacks-review-errors');
    const editor = frame.locator('input.fbx-cell-input');
    for (const [row, id] of [[2, 'C-2'], [4, 'C-4']]) {
      await cell(row, 'customer_id').dblclick();
      await editor.fill(id);
      await editor.press('Enter');
      await until(async () => (await cell(row, 'customer_id').getAttribute('aria-invalid')) === null, `row ${row} valid`);
    }
    await until(async () => (await counts.innerText()).includes('All rows are valid'), 'all rows valid');
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
    await frame.getByRole('button', { name: 'Import 4 rows' }).click();
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });
    const imports = await (await fetch(`${server.url}/api/v1/imports?per_page=1`, { headers: { Authorization: `Bearer ${key}` } })).json();
    const recs = await allRecords(server, key, imports.data[0].slug);
    assert.deepEqual(recs.map((r) => `${r.data.customer_id} ${r.data.country}`), ['C-1 FR', 'C-2 GB', 'C-3 GB', 'C-4 DE']);

    // the endpoint goes silent: the next import is not checked, says so, and cannot be submitted
    host.kill('SIGSTOP');
    frame = await toReview(page);
    const banner = frame.getByTestId('callback-banner');
    await banner.waitFor({ timeout: 30_000 });
    assert.match(await banner.innerText(), /Your validation service did not answer/);
    assert.match(await frame.getByTestId('counts').innerText(), /Not checked yet/);
    await screenshot(page, 'callbacks-silent-banner');
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
    assert.match(await frame.getByTestId('submit-policy').innerText(), /did not answer/);
    assert.equal(await frame.getByTestId('to-import').innerText(), '0');
    assert.equal(await frame.getByRole('button', { name: /^Import \d+ rows?$/ }).count(), 0, 'no Import button while unchecked');
    await screenshot(page, 'callbacks-silent-submit');
    assert.deepEqual(withoutAbortedPages(errors), []);
    await context.close();
  });
});
