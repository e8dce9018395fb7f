// End-to-end: the console's hook editor and Try page against the real binary.
// 1. In the importer editor's Hooks tab the admin types a row hook with a syntax error (the line is
//    marked before any save), fixes it, adds a column hook that throws, runs both on sample rows
//    (errors, warnings, changed values and the thrown error naming hook and line show per row),
//    saves, and the saved definition has the hooks.
// 2. On the Try page of an importer with a JavaScript hook and match_on, the hook's error shows in
//    the grid; after one submitted import, the same file edited marks rows new / updated /
//    unchanged, the changed cell highlighted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot as save } from './lib/browser.mjs';
import { adminToken, api, putImporter, until, withoutAbortedPages } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

// 422s the test causes on purpose: the live check of a draft whose hook does not compile.
const expected = [
  /HTTP 422 POST .*\/api\/admin\/importers\/validate$/,
  /^console\.error: Failed to load resource: .* 422 .*\/api\/admin\/importers\/validate\)$/,
];
const unexpected = (errors) => withoutAbortedPages(errors).filter((e) => !expected.some((re) => re.test(e)));

/** Screenshot from the top of the page (the sticky bars stay in place). */
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  return save(page, name);
}

const ORDERS = {
  slug: 'e2e_orders',
  name: 'Orders',
  columns: [
    { key: 'sku', label: 'SKU', example: 'ab-1' },
    { key: 'qty', label: 'Quantity', type: 'integer', example: '2' },
  ],
};

const BROKEN = `function (row) {
  if (row.sku === ) return {errors: {sku: "empty"}}
}`;
const ROW_HOOK = `function (row) {
  if (row.sku.startsWith("X-")) return {errors: {sku: "SKU " + row.sku + " is discontinued"}}
  if (Number(row.qty) > 100) return {warnings: {qty: "a large order"}}
  return {values: {sku: row.sku.trim().toUpperCase()}}
}`;
const QTY_HOOK = `function (value, row) {
  if (value === "0") throw new Error("zero is not a quantity")
}`;

const CUSTOMERS = {
  slug: 'e2e_try_hooks',
  name: 'Customers (try)',
  match_on: ['email'],
  columns: [
    { key: 'email', label: 'Email', type: 'email', required: true },
    { key: 'customer_id', label: 'Customer id' },
    { key: 'plan', label: 'Plan' },
  ],
  hooks: {
    row: `function (row) {
  if (row.customer_id.startsWith("X-")) return {errors: {customer_id: "customer " + row.customer_id + " does not exist"}}
}`,
  },
};
const FIRST = 'email,customer_id,plan\nada@example.com,C-1,pro\nalan@example.com,X-9,free\ngrace@example.com,C-3,free\n';
const SECOND = 'email,customer_id,plan\nada@example.com,C-1,pro\nalan@example.com,C-2,enterprise\ngrace@example.com,C-3,free\nedsger@example.com,C-4,free\n';

describe('console hooks', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** the admin cookie the printed (one-time) login URL gave */
  let cookies = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await putImporter(server, ORDERS);
    await putImporter(server, CUSTOMERS);
    const { context, page } = await newPage(browser);
    await page.goto(server.urls.console);
    await page.getByRole('link', { name: 'Importers', exact: true }).waitFor();
    cookies = await context.cookies();
    await context.close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function openConsole(page, hash) {
    await page.context().addCookies(cookies);
    await page.goto(`${server.url}/${hash}`);
  }

  test('type a hook, see its syntax error line, run it on sample rows, save', async () => {
    const { context, page, errors } = await newPage(browser);
    await openConsole(page, `#/importers/${ORDERS.slug}`);
    await page.getByRole('tab', { name: 'Hooks' }).click();
    const code = page.getByLabel('Source of the row hook');
    await code.waitFor();

    // A syntax error: the live check names line 2 before any save.
    await code.fill(BROKEN);
    const problem = page.locator('#hk-problem');
    await problem.waitFor();
    assert.match(await problem.innerText(), /^Line 2: syntax error: /);
    assert.equal(await page.locator('.hk-gutter > div.bad').innerText(), '2');
    assert.equal(await code.getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'console-hooks-syntax-error');

    // Fixed; a column hook on qty that throws.
    await code.fill(ROW_HOOK);
    await until(async () => (await problem.count()) === 0, 'the syntax error gone');
    await page.getByLabel('Add a column hook').selectOption('qty');
    await page.getByLabel('Source of the column hook of qty').fill(QTY_HOOK);

    // Sample rows: row 1 is pre-filled from the columns' examples; rows 2 and 3 typed.
    assert.equal(await page.getByLabel('Row 1 sku').inputValue(), 'ab-1');
    assert.equal(await page.getByLabel('Row 1 qty').inputValue(), '2');
    await page.getByLabel('Row 2 sku').fill('X-9');
    await page.getByLabel('Row 2 qty').fill('0');
    await page.getByLabel('Row 3 sku').fill('c-3');
    await page.getByLabel('Row 3 qty').fill('500');
    await page.getByRole('button', { name: 'Run hooks' }).click();

    const results = page.getByTestId('hook-results');
    await results.waitFor();
    assert.equal(
      await results.locator('.hk-summary').innerText(),
      'Hooks column.qty, row on 3 rows: 1 with errors, 1 with warnings, 1 with changed values.',
    );
    const findings = (n) => results.locator(`tr[data-row="${n}"] .hk-findings li`).allInnerTexts();
    assert.deepEqual(await findings(1), ['CHANGED sku → “AB-1”']);
    assert.deepEqual(await findings(2), [
      'ERROR qty: hook "column.qty" threw Error: zero is not a quantity (line 2)',
      'ERROR sku: SKU X-9 is discontinued',
    ]);
    assert.deepEqual(await findings(3), ['WARNING qty: a large order']);
    assert.match(await results.locator('tr[data-row="1"] td[data-col="sku"]').getAttribute('class'), /changed/);
    assert.match(await results.locator('tr[data-row="2"] td[data-col="qty"]').getAttribute('class'), /bad/);
    await screenshot(page, 'console-hooks-run');

    // Saved: the definition has both hooks.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    const saved = await api(server, await adminToken(server), 'GET', `/api/admin/importers/${ORDERS.slug}`);
    assert.equal(saved.hooks.row, ROW_HOOK);
    assert.equal(saved.hooks.column.qty, QTY_HOOK);
    // The tab counts them after a reload.
    await page.reload();
    await page.getByRole('tab', { name: 'Hooks (2)' }).waitFor();
    assert.deepEqual(unexpected(errors), []);
    await context.close();
  });

  test('the Try page shows the hook\'s error and the new / updated / unchanged marks', async () => {
    const { context, page, errors } = await newPage(browser);
    await openConsole(page, `#/importers/${CUSTOMERS.slug}/try`);
    const frame = page.frameLocator('iframe.imp-frame');

    async function toReview(csv) {
      await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
      await frame.getByTestId('file-input').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
      await frame.getByRole('button', { name: 'Continue', exact: true }).click();
      await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
      await frame.getByRole('button', { name: 'Continue', exact: true }).click();
      await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    }
    async function submit(n) {
      await frame.getByRole('button', { name: 'Continue', exact: true }).click();
      await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
      await frame.getByRole('button', { name: `Import ${n} rows` }).click();
      await page.getByTestId('try-result').waitFor({ timeout: 30_000 });
    }
    const cell = (row, col) => frame.locator(`[data-row="${row}"] [role=gridcell][data-col=${col}]`);

    await toReview(FIRST);
    const counts = frame.getByTestId('counts');
    await until(async () => (await counts.innerText()).includes('1 row with errors'), '1 row with errors');
    assert.equal(await cell(2, 'customer_id').getAttribute('aria-invalid'), 'true');
    assert.equal(await cell(2, 'customer_id').getAttribute('title'), 'customer X-9 does not exist');
    await screenshot(page, 'console-try-hook-error');
    await cell(2, 'customer_id').dblclick();
    const editor = frame.locator('input.fbx-cell-input');
    await editor.fill('C-2');
    await editor.press('Enter');
    await until(async () => !(await counts.innerText()).includes('with errors'), 'no rows with errors');
    await submit(3);
    assert.match(await page.getByTestId('try-result').innerText(), /Imported 3 records/);

    // The same customers again, Alan's plan changed and Edsger new.
    await page.getByRole('button', { name: 'Start over' }).click();
    await toReview(SECOND);
    const filter = frame.getByTestId('match-filter');
    await filter.waitFor();
    await until(async () => (await filter.locator('option').allInnerTexts()).join('|') === 'All rows|New (1)|Updated (1)|Unchanged (2)', 'match counts');
    await until(async () => (await cell(2, 'plan').getAttribute('class'))?.includes('changed'), 'the changed cell highlighted');
    assert.equal(await cell(2, 'plan').getAttribute('title'), 'Changed since the last import');
    assert.ok(!(await cell(1, 'plan').getAttribute('class'))?.includes('changed'));
    await screenshot(page, 'console-try-match');
    await filter.selectOption('update');
    await until(async () => (await frame.getByTestId('grid').getAttribute('data-total')) === '1', 'updated total 1');
    await filter.selectOption('');
    await submit(4);
    assert.deepEqual(unexpected(errors), []);
    await context.close();
  });
});
