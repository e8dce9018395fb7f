// End-to-end: a 200,000-row file in the review grid (German UI). The grid scrolls to the very last
// row by paging rows from the server — the test watches the page requests — and the errors-only
// filter pages the 200 rows with errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { importerFrame, ownDemoBackend, putImporter, secretKey, until, withoutAbortedPages } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const ROWS = 200_000;
const BIG = {
  slug: 'e2e_big',
  name: 'Big file (e2e)',
  settings: { invalid_rows: 'exclude' },
  columns: [
    { key: 'id', label: 'Id', type: 'integer', required: true },
    { key: 'name', label: 'Name', type: 'string' },
    { key: 'email', label: 'Email', type: 'email' },
  ],
};

/** id,name,email; every 1,000th row has an invalid email (200 rows with errors). */
function bigFile() {
  const parts = ['id,name,email\n'];
  for (let i = 1; i <= ROWS; i++) parts.push(`${i},Name ${i},${i % 1000 === 0 ? `broken-${i}` : `user${i}@example.com`}\n`);
  return Buffer.from(parts.join(''), 'utf8');
}

describe('importer with 200,000 rows', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  let key = '';

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await putImporter(server, BIG);
    key = await secretKey(server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the grid scrolls to the end by paging from the server; errors-only works', async () => {
    const { context, page, errors } = await newPage(browser);
    /** @type {URL[]} */
    const pages = [];
    page.on('request', (r) => r.url().includes('/rows?') && pages.push(new URL(r.url())));

    await ownDemoBackend(page, server, key, [BIG]);
    await page.goto(`${server.url}/demo?user=big`);
    await page.getByLabel('Importer').selectOption(BIG.slug);
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Datei hochladen' }).waitFor();
    await frame.getByTestId('file-input').setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: bigFile() });
    await frame.getByRole('heading', { name: 'Kopfzeile wählen' }).waitFor({ timeout: 30_000 });
    await frame.getByRole('button', { name: 'Weiter' }).click();
    await frame.getByRole('heading', { name: 'Spalten zuordnen' }).waitFor();
    await frame.getByText('Alle Pflichtfelder sind zugeordnet.').waitFor();
    await frame.getByRole('button', { name: 'Weiter' }).click();
    // parse + validate shows a progress bar while it runs (it may already be done on a fast machine)
    if (await frame.getByRole('heading', { name: 'Ihre Daten werden geprüft' }).isVisible().catch(() => false)) {
      await screenshot(page, 'importer-large-staging');
    }
    await frame.getByRole('heading', { name: 'Prüfen und korrigieren' }).waitFor({ timeout: 60_000 });
    const counts = frame.getByTestId('counts');
    await until(async () => (await counts.innerText()).includes('200.000 Zeilen'), '200.000 Zeilen');
    assert.match(await counts.innerText(), /200 Zeilen mit Fehlern/);

    const grid = frame.getByTestId('grid');
    await until(async () => (await grid.getAttribute('data-total')) === String(ROWS), 'grid total');
    const embed = page.frames().find((f) => f.url().includes('/embed/importer'));
    assert.ok(embed, 'the importer frame');
    const before = pages.length;

    // scroll down in steps, each time until the grid shows that position's rows (none still
    // loading), then to the very end
    let shownFirst = Number(await grid.getAttribute('data-first'));
    for (let step = 1; step <= 8; step++) {
      await embed.evaluate((s) => {
        const el = /** @type {HTMLElement} */ (document.querySelector('[data-testid=grid]'));
        el.scrollTop = (el.scrollHeight * s) / 10;
      }, step);
      const after = shownFirst;
      shownFirst = await until(() => embed.evaluate((prev) => {
        const el = /** @type {HTMLElement} */ (document.querySelector('[data-testid=grid]'));
        const first = Number(el.getAttribute('data-first'));
        return first > prev && !el.querySelector('[role=row].loading') ? first : 0;
      }, after), `the grid's rows at ${step * 10}% of the way down`);
    }
    await embed.evaluate(() => {
      const el = /** @type {HTMLElement} */ (document.querySelector('[data-testid=grid]'));
      el.scrollTop = el.scrollHeight;
    });
    const last = frame.locator(`[role=row][data-row="${ROWS}"]`);
    await last.waitFor({ timeout: 20_000 });
    assert.match(await last.innerText(), new RegExp(`Name ${ROWS}`));
    assert.equal(await grid.getAttribute('data-last'), String(ROWS - 1));
    await screenshot(page, 'importer-large-end');

    const scrolled = pages.slice(before);
    assert.ok(scrolled.some((u) => Number(u.searchParams.get('offset')) >= ROWS - 200), `a page near the end was requested: ${scrolled.map((u) => u.search).join(' ')}`);
    for (const u of pages) assert.ok(Number(u.searchParams.get('limit')) <= 200, `page size ${u.searchParams.get('limit')}`);
    assert.ok(scrolled.length < 60, `${scrolled.length} page requests to scroll through ${ROWS} rows (the grid must not fetch everything)`);

    // keyboard: Ctrl+Home goes back to the first row
    await last.locator('[role=gridcell][data-col=name]').click();
    await grid.press('Control+Home');
    await frame.locator('[role=row][data-row="1"]').waitFor();
    // arrows move the active cell; the status line names it
    await grid.press('ArrowDown');
    await grid.press('ArrowDown');
    await grid.press('ArrowLeft');
    await until(async () => (await frame.getByTestId('cell-status').innerText()).startsWith('Zeile 3 · Id'), 'the active cell at row 3, Id');
    await grid.press('PageDown');
    await until(async () => /^Zeile (\d+) · Id/.test(await frame.getByTestId('cell-status').innerText()) &&
      Number(/^Zeile (\d+)/.exec(await frame.getByTestId('cell-status').innerText())?.[1]) > 10, 'Page Down moved a page');

    // errors only: 200 rows, paged from the server, down to the last one
    await frame.getByLabel('Nur Zeilen mit Fehlern').check();
    await until(async () => (await grid.getAttribute('data-total')) === '200', 'errors-only total 200');
    assert.ok(pages.some((u) => u.searchParams.get('filter') === 'errors'));
    const shown = await frame.locator('[role=row][data-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')));
    assert.ok(shown.length > 5);
    for (const r of shown) assert.equal(Number(r) % 1000, 0, `row ${r} has errors`);
    await embed.evaluate(() => {
      const el = /** @type {HTMLElement} */ (document.querySelector('[data-testid=grid]'));
      el.scrollTop = el.scrollHeight;
    });
    const lastErr = frame.locator(`[role=row][data-row="${ROWS}"] [role=gridcell][data-col=email]`);
    await lastErr.waitFor();
    assert.equal(await lastErr.getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'importer-large-errors');

    // the column badge filters to that column's errors
    assert.equal(await frame.getByTestId('col-errors-email').innerText(), '200 Fehler');
    assert.deepEqual(withoutAbortedPages(errors), []);
    await context.close();
  });
});
