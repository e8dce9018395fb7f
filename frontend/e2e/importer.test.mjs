// End-to-end: the embedded importer driven from the demo host app (/demo) in Chromium against the
// real binary — a 1,000-row file with known errors from upload to records, and a Latin-1 file in a
// narrow iframe. The demo's backend serves only the demo workspace's importers, so the test answers
// the page's backend routes itself with its own secret key (ownDemoBackend), as a host app would.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { allRecords, api, fmt, importerFrame, messages, ownDemoBackend, putImporter, recordMessages, secretKey, until, withoutAbortedPages } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

/** The importer the tests use (created through the console API, independent of the demo workspace). */
const PEOPLE = {
  slug: 'e2e_people',
  name: 'People (e2e)',
  settings: { invalid_rows: 'block' },
  columns: [
    { key: 'name', label: 'Name', type: 'string', required: true, alternates: ['full name'] },
    { key: 'email', label: 'Email', type: 'email', required: true, unique: 'case_insensitive', alternates: ['e-mail'] },
    { key: 'age', label: 'Age', type: 'integer', required: true },
    {
      key: 'country',
      label: 'Country',
      type: 'enum',
      values: [
        { value: 'DE', label: 'Germany' },
        { value: 'FR', label: 'France' },
        { value: 'US', label: 'United States' },
      ],
    },
    { key: 'joined', label: 'Joined', type: 'date', pattern: 'yyyy-MM-dd', alternates: ['joined on'] },
  ],
};

/** A small importer with upload limits, for the upload checks and the XLSX file. */
const SIMPLE = {
  slug: 'e2e_simple',
  name: 'Simple (e2e)',
  settings: { allowed_file_types: ['csv', 'tsv', 'txt', 'xlsx'], max_file_size: '20KB' },
  columns: [
    { key: 'name', label: 'Name', type: 'string', required: true },
    { key: 'email', label: 'Email', type: 'email', required: true },
  ],
};

const testdata = (name) => new URL(`../../backend/ingest/testdata/${name}`, import.meta.url);

const pad = (n) => String(n).padStart(2, '0');

/**
 * A 1,000-row CSV whose header is on row 2 (row 1 is a title), with known errors: row 10 has a bad
 * email, row 20 a bad age, and every row ≡ 50 (mod 100) has the age "n/a" (10 rows). Returns the
 * file and the records expected after the test's fixes (bad email and age fixed inline, "n/a" -> 0
 * by find & replace).
 */
function peopleFile(n = 1000) {
  const lines = ['Customer export (LegacyCRM),,,,,', 'Full Name,E-mail,Years,Country,Joined On,Notes'];
  const expected = [];
  for (let i = 1; i <= n; i++) {
    const name = `Person ${i}`;
    const country = ['DE', 'FR', 'US'][i % 3];
    const joined = `2021-${pad((i % 12) + 1)}-${pad((i % 28) + 1)}`;
    let email = `person${i}@example.com`;
    let age = String(20 + (i % 50));
    if (i === 10) email = 'not-an-email';
    if (i === 20) age = 'abc';
    if (i % 100 === 50) age = 'n/a';
    lines.push([name, email, age, country, joined, `note ${i}`].join(','));
    expected.push({
      name,
      email: i === 10 ? 'fixed10@example.com' : `person${i}@example.com`,
      age: i === 20 ? 42 : i % 100 === 50 ? 0 : 20 + (i % 50),
      country,
      joined,
    });
  }
  return { buffer: Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'), expected };
}

describe('importer from the demo host app', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  let key = '';

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await putImporter(server, PEOPLE);
    await putImporter(server, SIMPLE);
    key = await secretKey(server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('1,000 rows: upload, header row, remap, fix two cells, find & replace, submit, complete, records', async () => {
    const user = `u${Date.now()}`;
    const { buffer, expected } = peopleFile();
    const { context, page, errors } = await newPage(browser);
    await recordMessages(page);
    const rowRequests = [];
    page.on('request', (r) => r.url().includes('/rows?') && rowRequests.push(new URL(r.url())));

    await ownDemoBackend(page, server, key, [PEOPLE, SIMPLE]);
    await page.goto(`${server.url}/demo?user=${user}`);
    await page.getByLabel('Importer').selectOption(PEOPLE.slug);
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);

    // 1. upload
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await screenshot(page, 'importer-01-upload');
    await frame.getByTestId('file-input').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer });

    // 2. header row: the title row is not the header; choose row 2
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    assert.equal(await frame.getByTestId('encoding').locator('option').first().textContent(), 'Detected (utf-8)');
    await frame.getByRole('radio', { name: 'Use row 2 as the header row' }).check();
    await until(async () => (await frame.locator('tr.header-row').innerText()).includes('Full Name'), 'row 2 as the header');
    assert.match(await frame.locator('tr.skipped').first().innerText(), /Customer export/);
    await screenshot(page, 'importer-02-header');
    await frame.getByRole('button', { name: 'Continue' }).click();

    // 3. mapping: suggestions for the known headers, the required Age is flagged until "Years" is remapped
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    const select = (header) => frame.getByLabel(`Field for your column “${header}”`);
    await until(async () => (await select('Full Name').inputValue()) === 'name', 'Full Name suggested as Name');
    assert.equal(await select('E-mail').inputValue(), 'email');
    assert.equal(await select('Country').inputValue(), 'country');
    assert.equal(await select('Joined On').inputValue(), 'joined');
    assert.equal(await select('Notes').inputValue(), '', 'Notes has no field: ignored');
    assert.notEqual(await select('Years').inputValue(), 'age');
    assert.match(await frame.getByTestId('unmapped-required').innerText(), /Age/);
    assert.equal(await frame.getByRole('button', { name: 'Continue' }).isDisabled(), true);
    await screenshot(page, 'importer-03-mapping');
    await select('Years').selectOption('age');
    await frame.getByText('All required fields are mapped.').waitFor();
    await frame.getByRole('button', { name: 'Continue' }).click();

    // 4. review: the known errors, counted and highlighted
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    const counts = frame.getByTestId('counts');
    await until(async () => (await counts.innerText()).includes('12 rows with errors'), '12 rows with errors');
    assert.match(await counts.innerText(), new RegExp(`${fmt(1000)} rows`));
    assert.equal(await frame.getByTestId('col-errors-age').innerText(), '11 errors');
    assert.equal(await frame.getByTestId('col-errors-email').innerText(), '1 error');
    await screenshot(page, 'importer-04-review');

    // errors only: the grid pages the filtered rows from the server
    await frame.getByLabel('Only rows with errors').check();
    const grid = frame.getByTestId('grid');
    await until(async () => (await grid.getAttribute('data-total')) === '12', 'errors-only total 12');
    assert.ok(rowRequests.some((u) => u.searchParams.get('filter') === 'errors'), 'the errors-only rows come from the server');

    // fix two cells inline, with immediate re-validation
    const cell = (text, col) => frame.locator(`[role=gridcell][data-col=${col}]`, { hasText: new RegExp(`^${text}$`) });
    const bad = cell('not-an-email', 'email');
    assert.equal(await bad.getAttribute('aria-invalid'), 'true');
    assert.match((await bad.getAttribute('title')) ?? '', /email/i);
    await bad.dblclick();
    const editor = frame.locator('input.fbx-cell-input');
    await editor.fill('fixed10@example.com');
    await editor.press('Enter');
    await until(async () => (await cell('fixed10@example.com', 'email').getAttribute('aria-invalid')) === null, 'the fixed email valid');
    await until(async () => (await counts.innerText()).includes('11 rows with errors'), '11 rows with errors');

    const badAge = cell('abc', 'age');
    await badAge.click();
    await frame.getByTestId('grid').press('Enter'); // keyboard: Enter edits the active cell
    await editor.fill('42');
    await editor.press('Enter');
    await until(async () => (await counts.innerText()).includes('10 rows with errors'), '10 rows with errors');

    // find & replace "n/a" -> "0" in Age (whole cells)
    await frame.getByRole('button', { name: 'Find & replace' }).click();
    await frame.getByLabel('Find', { exact: true }).fill('n/a');
    await frame.getByLabel('Replace with').fill('0');
    await frame.getByLabel('In column').selectOption('age');
    await frame.getByLabel('Whole cell').check();
    await frame.getByRole('button', { name: 'Replace all' }).click();
    await until(async () => (await frame.getByTestId('notice').innerText()) === 'Replaced 10 cells in 10 rows.', 'the replace notice');
    await until(async () => (await counts.innerText()).includes('All rows are valid'), 'all rows valid');
    await until(async () => (await grid.getAttribute('data-total')) === '0', 'no rows with errors left');
    await frame.getByText('No rows with errors left.').waitFor();

    // undo brings the 10 errors back, redo removes them again
    await frame.getByRole('button', { name: 'Undo' }).click();
    await until(async () => (await counts.innerText()).includes('10 rows with errors'), 'undo: 10 rows with errors');
    await frame.getByRole('button', { name: 'Redo' }).click();
    await until(async () => (await counts.innerText()).includes('All rows are valid'), 'redo: all rows valid');
    await frame.getByLabel('Only rows with errors').uncheck();
    await until(async () => (await grid.getAttribute('data-total')) === '1000', 'all 1,000 rows back');

    // delete a row (selected with its checkbox), then undo the delete
    await frame.getByRole('checkbox', { name: 'Select row 3', exact: true }).check();
    await frame.getByRole('button', { name: 'Delete 1 row' }).click();
    await until(async () => (await grid.getAttribute('data-total')) === '999', '999 rows after the delete');
    assert.equal(await frame.getByTestId('notice').innerText(), 'Deleted 1 row.');
    assert.equal(await frame.locator('[role=row][data-row="3"]').count(), 0);
    await frame.getByRole('button', { name: 'Undo' }).click();
    await until(async () => (await grid.getAttribute('data-total')) === '1000', 'the row back after undo');
    await frame.locator('[role=row][data-row="3"]').waitFor();
    await screenshot(page, 'importer-05-fixed');
    for (const u of rowRequests) assert.ok(Number(u.searchParams.get('limit')) <= 200, `page of ${u.searchParams.get('limit')} rows`);

    // 5. submit: summary, confirm, done
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
    assert.match(await frame.getByTestId('submit-summary').innerText(), /Rows to import\s*1,000/i);
    await screenshot(page, 'importer-06-submit');
    await frame.getByRole('button', { name: `Import ${fmt(1000)} rows` }).click();
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });
    assert.equal(await frame.getByTestId('done-body').innerText(), '1,000 rows were imported.');
    await screenshot(page, 'importer-07-done');

    // the host page received `complete` from the importer's exact origin
    const msgs = await messages(page);
    const complete = msgs.filter((m) => m.type === 'complete');
    assert.equal(complete.length, 1, JSON.stringify(msgs));
    assert.equal(complete[0].origin, server.url);
    assert.deepEqual(complete[0].payload.counts, { rows: 1000, records: 1000, error_rows: 0, excluded_rows: 0 });
    assert.equal(complete[0].payload.importer, PEOPLE.slug);
    assert.ok(msgs.every((m) => m.origin === server.url), 'every importer message comes from the importer origin');
    assert.ok(msgs.some((m) => m.type === 'ready'));
    const demo = await page.evaluate(() => /** @type {any} */ (window).fuseboxDemo.lastComplete);
    assert.equal(demo?.import, complete[0].payload.import, 'the SDK handed the event to onComplete');

    // closing the done screen removes the iframe
    await frame.getByRole('button', { name: 'Close' }).click();
    await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
    await page.locator(`tr[data-slug="${complete[0].payload.import}"]`).waitFor();

    // the host app's backend finds the import by user and gets exactly the expected records
    const list = await api(server, key, 'GET', `/api/v1/imports?metadata[user_id]=${user}`);
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].slug, complete[0].payload.import);
    assert.equal(list.data[0].status, 'completed');
    assert.equal(list.data[0].row_count, 1000);
    assert.equal(String(list.data[0].metadata.user_id), user);
    const records = await allRecords(server, key, list.data[0].slug);
    assert.equal(records.length, 1000);
    assert.deepEqual(
      records.map((r) => r.data),
      expected,
    );
    assert.deepEqual(withoutAbortedPages(errors), []);
    await context.close();
  });

  test('a Latin-1 file shows accented names in the grid and in the records (narrow iframe)', async () => {
    const user = `latin${Date.now()}`;
    const names = ['José Müller', 'Françoise Çelik', 'Zoë Ångström', 'Søren Brønsted'];
    const text = 'Full Name,E-mail,Years,Country,Joined On\r\n' +
      names.map((n, i) => `${n},p${i}@example.com,${30 + i},FR,2020-01-0${i + 1}`).join('\r\n') + '\r\n';
    const buffer = Buffer.from(text, 'latin1');
    assert.equal(buffer.includes(Buffer.from('é', 'utf8')), false, 'the file is not UTF-8');

    const { context, page, errors } = await newPage(browser, { width: 520, height: 900 });
    await ownDemoBackend(page, server, key, [PEOPLE, SIMPLE]);
    await page.goto(`${server.url}/demo?user=${user}`);
    await page.getByLabel('Importer').selectOption(PEOPLE.slug);
    await page.getByLabel('Inline (in the page) instead of a modal').check();
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByTestId('file-input').setInputFiles({ name: 'latin1.csv', mimeType: 'text/csv', buffer });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    assert.match(await frame.getByTestId('encoding').locator('option').first().textContent() ?? '', /windows-1252|iso-8859-1/);
    assert.match(await frame.locator('.fbx-preview').innerText(), /José Müller/);
    await page.locator('.demo-inline').scrollIntoViewIfNeeded();
    await screenshot(page, 'importer-latin1-header-narrow');
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByLabel('Field for your column “Years”').selectOption('age');
    await page.locator('.demo-inline').scrollIntoViewIfNeeded();
    await screenshot(page, 'importer-latin1-mapping-narrow');
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    for (const n of names) await frame.locator('[role=gridcell][data-col=name]', { hasText: n }).waitFor();
    await page.locator('.demo-inline').scrollIntoViewIfNeeded();
    await screenshot(page, 'importer-latin1-review-narrow');
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Import 4 rows' }).click();
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });

    const list = await api(server, key, 'GET', `/api/v1/imports?metadata[user_id]=${user}`);
    assert.equal(list.data.length, 1);
    const records = await allRecords(server, key, list.data[0].slug);
    assert.deepEqual(records.map((r) => r.data.name), names);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the console runs the same flow with "Try this importer"', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(server.urls.console); // one-time login code -> admin cookie
    await page.getByTestId('version').waitFor();
    await page.getByRole('link', { name: 'Importers', exact: true }).click();
    await page.getByRole('link', { name: `Try ${PEOPLE.name}` }).waitFor();
    await page.waitForLoadState('networkidle'); // the list's per-importer counts, so leaving aborts nothing
    await page.getByRole('link', { name: `Try ${PEOPLE.name}` }).click();
    await page.getByRole('heading', { name: `Try “${PEOPLE.slug}”` }).waitFor();
    const frame = page.frameLocator('iframe.imp-frame');
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    const csv = 'Full Name,E-mail,Years\nAda Lovelace,ada@example.com,36\nAlan Turing,alan@example.com,41\nGrace Hopper,grace@example.com,85\n';
    await frame.getByTestId('file-input').setInputFiles({ name: 'try.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByLabel('Field for your column “Years”').selectOption('age');
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Import 3 rows' }).click();
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });
    const result = page.getByTestId('try-result');
    await result.waitFor();
    assert.match(await result.innerText(), /Imported 3 records \(3 rows\)/);
    await screenshot(page, 'importer-console-try');
    const slug = /Open import (imp_\w+)/.exec(await result.innerText())?.[1];
    const imp = await api(server, key, 'GET', `/api/v1/imports/${slug}`);
    assert.equal(imp.status, 'completed');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('upload: refused files say why; drag & drop and pasted cells work; an XLSX sheet is chosen', async () => {
    const { context, page, errors } = await newPage(browser);
    await ownDemoBackend(page, server, key, [PEOPLE, SIMPLE]);
    await page.goto(`${server.url}/demo?user=upload-checks`);
    await page.getByLabel('Importer').selectOption(SIMPLE.slug);
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    const input = frame.getByTestId('file-input');
    const alert = frame.getByRole('alert').locator('span');

    await input.setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    assert.equal(await alert.innerText(), 'notes.pdf is not a file this importer accepts (.csv, .tsv, .txt, .xlsx).');
    await input.setInputFiles({ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
    assert.match(await alert.innerText(), /^empty\.csv is empty\./);
    await input.setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.alloc(30_000, 'a') });
    assert.match(await alert.innerText(), /^big\.csv is 30 KB; the limit is 20 KB\./);
    // unreadable: the server's ingest check names the problem
    await input.setInputFiles({ name: 'image.csv', mimeType: 'text/csv', buffer: await readFile(testdata('binary.csv')) });
    await until(async () => /looks like a PNG image/.test(await alert.innerText()), 'the server explains the binary file');
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await screenshot(page, 'importer-upload-error');

    // drag & drop
    const embed = page.frames().find((f) => f.url().includes('/embed/importer'));
    assert.ok(embed);
    const dropped = await embed.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['name,email\nDrop Ann,ann@example.com\n'], 'dropped.csv', { type: 'text/csv' }));
      return dt;
    });
    await frame.locator('.fbx-dropzone').dispatchEvent('drop', { dataTransfer: dropped });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    assert.match(await frame.locator('.fbx-preview').innerText(), /Drop Ann/);
    await frame.getByRole('button', { name: 'Back' }).click();

    // pasted spreadsheet cells (tab-separated)
    await frame.getByLabel('Pasted data').fill('name\temail\nPaste Bea\tbea@example.com');
    await frame.getByRole('button', { name: 'Use pasted data' }).click();
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    assert.match(await frame.locator('.fbx-preview').innerText(), /Paste Bea/);
    assert.equal(await frame.getByTestId('delimiter').locator('option').first().textContent(), 'Detected (Tab)');
    await frame.getByRole('button', { name: 'Back' }).click();

    // XLSX: the sheet picker
    await input.setInputFiles({ name: 'sample.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: await readFile(testdata('sample.xlsx')) });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    const sheet = frame.getByLabel('Sheet');
    assert.equal(await sheet.inputValue(), 'Orders');
    assert.deepEqual(await sheet.locator('option').allTextContents(), ['Orders', 'Customers']);
    await sheet.selectOption('Customers');
    await until(async () => (await frame.locator('.fbx-preview').innerText()).includes('ann@example.com'), 'the Customers sheet');
    await screenshot(page, 'importer-xlsx-sheet');
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByText('All required fields are mapped.').waitFor();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    await frame.locator('[role=gridcell][data-col=email]', { hasText: 'ann@example.com' }).waitFor();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Import 1 row' }).click();
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });
    const list = await api(server, key, 'GET', '/api/v1/imports?metadata[user_id]=upload-checks');
    const completed = list.data.filter((i) => i.status === 'completed');
    assert.equal(completed.length, 1);
    const records = await allRecords(server, key, completed[0].slug);
    assert.deepEqual(records.map((r) => r.data), [{ name: 'Ann', email: 'ann@example.com' }]);
    assert.deepEqual(errors.filter((e) => !/422.*\/file\?name=image\.csv/.test(e)), [], 'only the refused upload answered with an error');
    await context.close();
  });
});
