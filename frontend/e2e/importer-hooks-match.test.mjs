// End-to-end: an importer with a JavaScript row hook and match_on. The hook's findings show in the
// grid like built-in errors (counts, errors-only, aria-invalid, the message naming the problem); a
// fix re-runs the hook. A second import of the edited file marks the changed row as an update (its
// changed cell highlighted), the others unchanged, and the match filter pages them from the server;
// the records carry their operation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { allRecords, importerFrame, ownDemoBackend, putImporter, secretKey, until, withoutAbortedPages } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const DEF = {
  slug: 'e2e_hooks',
  name: 'Customers (hooks)',
  match_on: ['email'],
  columns: [
    { key: 'email', label: 'Email', type: 'email', required: true },
    { key: 'customer_id', label: 'Customer id' },
    { key: 'plan', label: 'Plan' },
  ],
  hooks: {
    row: `function (row) {
  if (row.customer_id.startsWith("X-")) return {errors: {customer_id: "customer " + row.customer_id + " does not exist"}}
  return {values: {plan: row.plan.toLowerCase()}}
}`,
  },
};

const FIRST = 'email,customer_id,plan\nada@example.com,C-1,PRO\nalan@example.com,X-9,free\ngrace@example.com,C-3,free\n';
const SECOND = 'email,customer_id,plan\nada@example.com,C-1,pro\nalan@example.com,C-2,enterprise\ngrace@example.com,C-3,free\nedsger@example.com,C-4,free\n';

describe('importer hooks and update instead of duplicate', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  let key = '';

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await putImporter(server, DEF);
    key = await secretKey(server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function toReview(page, buffer) {
    await page.goto(`${server.url}/demo?user=h14`);
    await page.getByLabel('Importer').selectOption(DEF.slug);
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await frame.getByTestId('file-input').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(buffer) });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    return frame;
  }

  async function submit(frame, n) {
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
    await frame.getByRole('button', { name: `Import ${n} rows` }).click();
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });
  }

  test('hook errors in the grid, fixed, submitted; the re-import marks updates', async () => {
    const { context, page, errors } = await newPage(browser);
    await ownDemoBackend(page, server, key, [DEF]);
    let frame = await toReview(page, FIRST);
    const counts = frame.getByTestId('counts');
    await until(async () => (await counts.innerText()).includes('1 row with errors'), '1 row with errors');
    const bad = frame.locator('[data-row="2"] [role=gridcell][data-col=customer_id]');
    assert.equal(await bad.getAttribute('aria-invalid'), 'true');
    assert.equal(await bad.getAttribute('title'), 'customer X-9 does not exist');
    // the hook's replacement value is what the grid shows
    assert.equal(await frame.locator('[data-row="1"] [role=gridcell][data-col=plan]').textContent(), 'pro');
    await frame.getByLabel('Only rows with errors').check();
    await until(async () => (await frame.getByTestId('grid').getAttribute('data-total')) === '1', 'errors-only total 1');
    await screenshot(page, 'hooks-review-error');
    await bad.dblclick();
    const editor = frame.locator('input.fbx-cell-input');
    await editor.fill('C-2');
    await editor.press('Enter');
    await until(async () => (await counts.innerText()).includes('All rows are valid') || !(await counts.innerText()).includes('with errors'), 'no rows with errors');
    await frame.getByLabel('Only rows with errors').uncheck();
    await submit(frame, 3);

    // the edited file again: Alan's plan changed, Edsger is new
    frame = await toReview(page, SECOND);
    const filter = frame.getByTestId('match-filter');
    await filter.waitFor();
    const options = await filter.locator('option').allInnerTexts();
    assert.deepEqual(options, ['All rows', 'New (1)', 'Updated (1)', 'Unchanged (2)']);
    const changedCell = frame.locator('[data-row="2"] [role=gridcell][data-col=plan]');
    await until(async () => (await changedCell.getAttribute('class'))?.includes('changed'), 'the changed cell highlighted');
    assert.equal(await changedCell.getAttribute('title'), 'Changed since the last import');
    assert.ok(!(await frame.locator('[data-row="2"] [role=gridcell][data-col=email]').getAttribute('class'))?.includes('changed'));
    await screenshot(page, 'match-review-all');
    await filter.selectOption('unchanged');
    await until(async () => (await frame.getByTestId('grid').getAttribute('data-total')) === '2', 'unchanged total 2');
    const rows = await frame.locator('[role=row][data-row]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-row')));
    assert.deepEqual(rows, ['1', '3']);
    await filter.selectOption('');
    await until(async () => (await frame.getByTestId('grid').getAttribute('data-total')) === '4', 'all rows again');
    await submit(frame, 4);

    const imports = await (await fetch(`${server.url}/api/v1/imports?per_page=1`, { headers: { Authorization: `Bearer ${key}` } })).json();
    const recs = await allRecords(server, key, imports.data[0].slug);
    assert.deepEqual(recs.map((r) => `${r.data.email} ${r.operation}`), [
      'ada@example.com unchanged',
      'alan@example.com update',
      'grace@example.com unchanged',
      'edsger@example.com create',
    ]);
    assert.deepEqual(withoutAbortedPages(errors), []);
    await context.close();
  });
});
