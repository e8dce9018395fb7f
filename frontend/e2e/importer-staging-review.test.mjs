// End-to-end: the review opens while the file is still being checked. The importer has a
// validation endpoint (hooks.validate) served by this test, which keeps its answers back, so the
// server's staging stops after its first rows are stored and stays there as long as the test looks
// (each held request is answered after a few seconds, well inside the call's timeout, and the next
// ones are held again). Meanwhile the grid shows the first rows, the counts say "so far", a banner
// shows the progress, and edits, the errors filter, search, find & replace and Continue are
// disabled. Once the test lets the endpoint answer, everything is whole and enabled. At desktop and
// phone sizes, with screenshots of both states.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, importerFrame, ownDemoBackend, putImporter, secretKey, until, withoutAbortedPages } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const ROWS = 5000;
// every 10th row has an amount that is not a number
const CSV = 'customer_id,amount\n' + Array.from({ length: ROWS }, (_, i) => `C-${i + 1},${(i + 1) % 10 === 0 ? 'ten' : i + 1}`).join('\n') + '\n';
// staging stores its first batch of rows (250) in a transaction of its own; the held endpoint
// stops it before the next one
const FIRST = 250;

describe('the review while the rows are still being checked', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('node:http').Server} */
  let endpoint;
  let key = '';
  let holding = true;
  /** @type {Set<() => void>} */
  const held = new Set();
  const hold = () => {
    holding = true;
  };
  const release = () => {
    holding = false;
    for (const answer of held) answer();
  };
  const def = { slug: 'e2e_staging_review', name: 'Orders (staging review)' };

  before(async () => {
    endpoint = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const answer = () => {
          if (!held.delete(answer)) return;
          clearTimeout(timer);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"rows": []}');
        };
        held.add(answer);
        // held while the test looks, answered within the call's 10 s budget (then the next batch is held)
        const timer = setTimeout(answer, holding ? 4000 : 0);
      });
    });
    endpoint.listen(0, '127.0.0.1');
    await once(endpoint, 'listening');
    const port = /** @type {import('node:net').AddressInfo} */ (endpoint.address()).port;
    server = await startServer();
    browser = await launchBrowser();
    await putImporter(server, {
      ...def,
      settings: { invalid_rows: 'exclude' },
      columns: [
        { key: 'customer_id', label: 'Customer id', required: true },
        { key: 'amount', label: 'Amount', type: 'integer' },
      ],
      hooks: { validate: { url: `http://127.0.0.1:${port}/validate`, batch: 100, timeout: '10s' } },
    });
    const admin = await adminToken(server);
    const settings = await api(server, admin, 'GET', '/api/admin/marketplace/settings');
    await api(server, admin, 'PUT', '/api/admin/marketplace/settings', { ...settings, allowed_hosts: ['127.0.0.1'] });
    key = await secretKey(server);
  });

  after(async () => {
    release();
    endpoint?.close();
    await browser?.close();
    await server?.stop();
  });

  for (const vp of [
    { name: 'desktop', width: 1280, height: 800 },
    { name: 'phone', width: 390, height: 844 },
  ]) {
    test(`${vp.name}: the first rows are shown while staging, counts are partial, submit waits; then everything is whole`, async () => {
      hold();
      const { context, page, errors } = await newPage(browser, vp);
      try {
        await ownDemoBackend(page, server, key, [def]);
        await page.goto(`${server.url}/demo?user=staging-${vp.name}`);
        await page.getByLabel('Importer').selectOption(def.slug);
        await page.getByRole('button', { name: 'Import data', exact: true }).click();
        const frame = importerFrame(page);
        await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 60_000 });
        await frame.getByTestId('file-input').setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
        await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
        await frame.getByRole('button', { name: 'Continue', exact: true }).click();
        await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
        await frame.getByRole('button', { name: 'Continue', exact: true }).click();

        // while staging: the grid with the first rows, partial counts, progress, nothing that needs every row
        await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 60_000 });
        const banner = frame.getByTestId('staging-banner');
        await banner.waitFor();
        await frame.locator('[role=row][data-row="1"]').waitFor();
        const cell = (row, col) => frame.locator(`[data-row="${row}"] [role=gridcell][data-col=${col}]`);
        assert.equal(await cell(1, 'customer_id').textContent(), 'C-1');
        assert.equal(await cell(10, 'amount').getAttribute('aria-invalid'), 'true', 'row 10 is checked: its error shows');
        const counts = frame.getByTestId('counts');
        assert.equal(await counts.getAttribute('data-partial'), 'true');
        assert.match(await counts.innerText(), new RegExp(`${FIRST} rows checked so far`));
        assert.match(await counts.innerText(), new RegExp(`${FIRST / 10} with errors so far`));
        assert.match(await banner.innerText(), new RegExp(`Checking row ${FIRST}\\b`));
        assert.match(await banner.innerText(), /Continue open when every row is checked/);
        assert.equal(await frame.getByTestId('grid').getAttribute('data-total'), String(FIRST));
        assert.equal(await frame.getByRole('button', { name: 'Continue', exact: true }).isDisabled(), true, 'Continue waits for every row');
        assert.equal(await frame.getByText('Available when every row is checked').isVisible(), true);
        assert.equal(await frame.getByLabel('Only rows with errors').isDisabled(), true);
        assert.equal(await frame.getByRole('searchbox').isDisabled(), true);
        assert.equal(await frame.getByRole('button', { name: 'Find & replace' }).isDisabled(), true);
        assert.equal(await frame.getByTestId('error-bar').count(), 0, 'no delete/download of error rows yet');
        await cell(2, 'amount').dblclick();
        assert.equal(await frame.locator('input.fbx-cell-input').count(), 0, 'no cell editor while staging');
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= vp.width, `the page is ${width}px wide in a ${vp.width}px viewport`);
        await screenshot(page, `staging-review-partial-${vp.name}`);
        assert.match(await counts.innerText(), new RegExp(`${FIRST} rows checked so far`), 'still partial after the checks');

        // the endpoint answers: staging ends, the review is whole
        release();
        await until(async () => (await counts.getAttribute('data-partial')) === null, 'the review to be whole', 60_000);
        assert.match(await counts.innerText(), /5,000 rows/);
        assert.match(await counts.innerText(), /500 rows with errors/);
        assert.equal(await banner.count(), 0);
        assert.equal(await frame.getByTestId('grid').getAttribute('data-total'), String(ROWS));
        assert.equal(await frame.getByLabel('Only rows with errors').isDisabled(), false);
        assert.equal(await frame.getByRole('searchbox').isDisabled(), false);
        assert.equal(await frame.getByRole('button', { name: 'Find & replace' }).isDisabled(), false);
        await frame.getByTestId('error-bar').waitFor();
        await screenshot(page, `staging-review-whole-${vp.name}`);
        const next = frame.getByRole('button', { name: 'Continue', exact: true });
        assert.equal(await next.isDisabled(), false);
        await next.click();
        await frame.getByRole('button', { name: 'Continue anyway' }).click();
        await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
        const submit = frame.getByRole('button', { name: 'Import 4,500 rows' });
        assert.equal(await submit.isDisabled(), false, 'submit is enabled once every row is checked');
        await screenshot(page, `staging-review-submit-${vp.name}`);
        assert.deepEqual(withoutAbortedPages(errors), []);
      } finally {
        release();
        await context.close();
      }
    });
  }
});
