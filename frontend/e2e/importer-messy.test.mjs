// End-to-end: a messy but ordinary file (200 rows, a title row above the header, an extra column,
// mixed date formats, bad emails, "n/a" phones, a plan not in the list) taken through the demo
// host app (/demo) with the demo workspace's Contacts importer (invalid_rows: block), from upload
// to submitted, counting every click, key press and file choice the test makes as the user:
//   1. the bulk-delete path: Continue with errors is confirmed, Submit explains the block and
//      offers the next steps; "Delete the rows with errors" there, then Import;
//   2. the fix-file path: download the rows with errors as CSV, fix them "in Excel" (here: in the
//      test), upload the fixed file back, Import.
// Both must stay within 15 actions. Screenshots of review and submit at 1280×800 and 390×844.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, importerFrame, messages, recordMessages, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const MAX_ACTIONS = 15;
const ROWS = 200;

const FIRST = ['Kenji', 'Hiro', 'Jamal', 'Priya', 'Tara', 'Lena', 'Farah', 'Eve', 'Omar', 'Dana'];
const LAST = ['García', 'Smith', 'Chen', 'Rossi', 'Okafor', 'Nguyen', "O'Brien"];
const DATES = ['2015-10-04', '10/4/15', 'May 21, 2023', '03/07/2021', '2020-02-29'];

/** CSV cell: quoted when it has a comma, quote or line break. */
const cell = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

const firstOf = (i) => (i % 7 === 1 ? FIRST[i % FIRST.length].toLowerCase() : FIRST[i % FIRST.length]);
const emailOf = (i) => `${firstOf(i).toLowerCase()}.${LAST[i % LAST.length].toLowerCase().replace(/\W/g, '')}${i}@example.com`;

/** The messy file and what is known about it. */
function messyFile() {
  const lines = ['Account list (confidential)', 'First Name,Last Name,E-mail Address,Phone,Company,Plan,Signup Date,Seats,Website,Notes'];
  let errorRows = 0;
  for (let i = 1; i <= ROWS; i++) {
    const first = firstOf(i); // "hiro" on rows 1, 8, ...: capitalize stores "Hiro"
    const last = LAST[i % LAST.length];
    const badEmail = i % 9 === 0;
    const badPhone = i % 11 === 0;
    const badPlan = i % 17 === 0;
    if (badEmail || badPhone || badPlan) errorRows++;
    const email = badEmail ? emailOf(i).replace('@', '(at)') : emailOf(i);
    const phone = badPhone ? 'n/a' : `+1 (555) ${String(100 + i).padStart(3, '0')}-${String(1000 + i * 7).slice(-4)}`;
    const plan = badPlan ? 'gold' : ['free', 'Pro', 'enterprise', 'professional'][i % 4];
    const seats = i % 5 === 0 ? '12.5' : String(1 + (i % 40));
    const row = [first, last, email, phone, i % 3 ? 'Acme Inc' : '', plan, DATES[i % DATES.length], seats, i % 2 ? 'acme.com' : 'https://example.org', `note ${i}`];
    lines.push(row.map(cell).join(','));
  }
  return { buffer: Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'), errorRows };
}

/** Parses the CSV the server writes (RFC 4180, quoted cells). */
function parseCSV(text) {
  const rows = [];
  let row = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cur);
      cur = '';
    } else if (c === '\n') {
      row.push(cur.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cur = '';
    } else cur += c;
  }
  if (cur || row.length) rows.push([...row, cur]);
  return rows;
}

/** Counts what the user does: every click, key press and file choice goes through act(). */
function actionCounter() {
  const log = [];
  return {
    log,
    /** @template T @param {string} what @param {() => Promise<T>} fn */
    async act(what, fn) {
      log.push(what);
      return fn();
    },
  };
}

describe('a messy file through /demo in few clicks', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Upload to review: open the importer, give the file, header row, mapping. */
  async function toReview(page, counter, buffer, name) {
    const { act } = counter;
    await page.goto(`${server.url}/demo?user=messy${Date.now()}`);
    await act('open the importer', () => page.getByRole('button', { name: 'Import data', exact: true }).click());
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await act('choose the file', () => frame.getByTestId('file-input').setInputFiles({ name, mimeType: 'text/csv', buffer }));
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    // the title row is not the header: the header is row 2 (detected, or chosen with one click)
    const headerText = async () => (await frame.locator('tr.header-row').innerText()).includes('E-mail Address');
    if (!(await headerText())) {
      await act('choose row 2 as the header', () => frame.getByRole('radio', { name: 'Use row 2 as the header row' }).check());
      await until(headerText, 'row 2 as the header');
    }
    await act('continue to the mapping', () => frame.getByRole('button', { name: 'Continue', exact: true }).click());
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await act('confirm the mapping', () => frame.getByRole('button', { name: 'Continue', exact: true }).click());
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    return frame;
  }

  /** Screenshots at the desktop size and at a phone's, then back. */
  async function shots(page, name) {
    await screenshot(page, `${name}-1280x800`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300); // layout settles (no assertion depends on it)
    await screenshot(page, `${name}-390x844`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForTimeout(300);
  }

  /** The submitted import's records, by the slug the importer told the host page. */
  async function recordsOf(page) {
    const done = await until(async () => (await messages(page)).find((m) => m.type === 'complete'), 'the complete message');
    const slug = done.payload.import;
    const page1 = await api(server, await adminToken(server), 'GET', `/api/admin/imports/${slug}/records?per_page=1000`);
    return { slug, records: page1.records.map((r) => r.data), total: page1.total };
  }

  test('bulk delete: upload to submitted, block policy explained, within 15 actions', async () => {
    const { buffer, errorRows } = messyFile();
    const counter = actionCounter();
    const { act } = counter;
    const { context, page, errors } = await newPage(browser);
    await recordMessages(page);
    const frame = await toReview(page, counter, buffer, 'messy.csv');

    // the grid shows what will be stored: "hiro" -> "Hiro", with the file's value on hover
    const first = frame.locator('[data-row="1"] [data-col="first_name"]');
    await until(async () => (await first.textContent()) === 'Hiro', 'row 1 first name cleaned');
    assert.equal(await first.getAttribute('title'), 'In your file: hiro');
    const date = frame.locator('[data-row="1"] [data-col="signup_date"]');
    assert.equal(await date.textContent(), '2015-10-04'); // "10/4/15" as stored
    assert.match(await frame.getByTestId('error-bar').innerText(), new RegExp(`${errorRows} rows have errors`));
    await shots(page, 'messy-review');

    // Continue with errors asks first, and says what the block policy means
    await act('continue with errors', () => frame.getByRole('button', { name: 'Continue', exact: true }).click());
    const dialog = frame.getByRole('alertdialog');
    assert.match(await dialog.innerText(), /imports only when every row is valid/);
    await act('continue anyway', () => dialog.getByRole('button', { name: 'Continue anyway' }).click());
    await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
    // an honest count: nothing is imported while rows have errors, and the next steps are offered
    assert.equal(await frame.getByTestId('to-import').innerText(), '0');
    const policy = await frame.getByTestId('submit-policy').innerText();
    assert.match(policy, new RegExp(`${errorRows} rows have errors. Delete them, download them to fix in Excel, or fix them here.`));
    assert.equal(await frame.getByRole('button', { name: /^Import \d+ rows?$/ }).count(), 0, 'no disabled Import button');
    await shots(page, 'messy-submit-blocked');

    await act('delete the rows with errors', () => frame.getByTestId('submit-delete-errors').click());
    const ok = ROWS - errorRows;
    await frame.getByRole('button', { name: `Import ${ok} rows` }).waitFor();
    assert.equal(await frame.getByTestId('to-import').innerText(), String(ok));
    await shots(page, 'messy-submit-ready');
    await act('import', () => frame.getByRole('button', { name: `Import ${ok} rows` }).click());
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });

    const { records, total } = await recordsOf(page);
    assert.equal(total, ok);
    const r1 = records.find((r) => r.email === emailOf(1));
    assert.ok(r1, 'row 1 stored');
    assert.equal(r1.first_name, 'Hiro');
    assert.equal(r1.signup_date, '2015-10-04');
    assert.equal(r1.website, 'https://acme.com');
    assert.equal(records.find((r) => r.email === emailOf(5))?.seats, 13); // 12.5 rounded
    assert.ok(!records.some((r) => r.plan === 'gold'));

    console.log(`bulk-delete path: ${counter.log.length} actions: ${counter.log.join(' → ')}`);
    assert.ok(counter.log.length <= MAX_ACTIONS, `${counter.log.length} actions: ${counter.log.join(', ')}`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('fix file: download the rows with errors, fix them, upload them back, submitted within 15 actions', async () => {
    const { buffer, errorRows } = messyFile();
    const counter = actionCounter();
    const { act } = counter;
    const { context, page, errors } = await newPage(browser);
    await recordMessages(page);
    const frame = await toReview(page, counter, buffer, 'messy.csv');

    const [download] = await Promise.all([page.waitForEvent('download'), act('download the rows with errors (CSV)', () => frame.getByTestId('download-csv').click())]);
    assert.equal(download.suggestedFilename(), 'messy-errors.csv');
    const rows = parseCSV(await readFile(await download.path(), 'utf8'));
    assert.deepEqual(rows[0].slice(0, 2), ['Row ID', 'First name']);
    assert.equal(rows[0].at(-1), 'Errors');
    assert.equal(rows.length - 1, errorRows);
    assert.match(rows[1].at(-1), /must be|is required/);

    // "in Excel": fix the emails, clear the "n/a" phones, choose an allowed plan; drop the Errors column
    const col = (label) => rows[0].indexOf(label);
    const fixed = rows.map((r, i) => {
      if (i === 0) return r.slice(0, -1);
      const out = r.slice(0, -1);
      out[col('Email')] = out[col('Email')].replace('(at)', '@');
      if (out[col('Phone')] === 'n/a') out[col('Phone')] = '';
      if (out[col('Plan')] === 'gold') out[col('Plan')] = 'pro';
      return out;
    });
    const fixedCSV = fixed.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';

    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), act('upload the fixed file', () => frame.getByTestId('upload-fixed').click())]);
    await chooser.setFiles({ name: 'messy-errors-fixed.csv', mimeType: 'text/csv', buffer: Buffer.from(fixedCSV) });
    const notice = frame.getByTestId('notice');
    await notice.waitFor();
    assert.match(await notice.innerText(), new RegExp(`Updated ${errorRows} of ${errorRows} rows from messy-errors-fixed.csv`));
    await until(async () => (await frame.getByTestId('error-bar').count()) === 0, 'no rows with errors left');
    await shots(page, 'messy-review-fixed');

    await act('continue', () => frame.getByRole('button', { name: 'Continue', exact: true }).click());
    await frame.getByRole('button', { name: `Import ${ROWS} rows` }).waitFor();
    await act('import', () => frame.getByRole('button', { name: `Import ${ROWS} rows` }).click());
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });

    const { records, total } = await recordsOf(page);
    assert.equal(total, ROWS);
    assert.ok(records.every((r) => !String(r.email).includes('(at)')));
    assert.equal(records.find((r) => r.email === emailOf(9))?.first_name, firstOf(9)); // row 9's email was fixed
    console.log(`fix-file path: ${counter.log.length} actions: ${counter.log.join(' → ')}`);
    assert.ok(counter.log.length <= MAX_ACTIONS, `${counter.log.length} actions: ${counter.log.join(', ')}`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('back and forth: the stepper and Back return to the mapping; edits of still-mapped columns are kept, the others are named', async () => {
    const { buffer } = messyFile();
    const counter = actionCounter();
    const { context, page, errors } = await newPage(browser);
    const frame = await toReview(page, counter, buffer, 'messy.csv');

    // two edits: a first name and the "n/a" phone of row 11
    const edit = async (row, col, value) => {
      const c = frame.locator(`[data-row="${row}"] [data-col="${col}"]`);
      await c.dblclick();
      const input = c.locator('input');
      await input.fill(value);
      await input.press('Enter');
      await until(async () => (await c.textContent()) === value, `row ${row} ${col} = ${value}`);
    };
    const bar = frame.getByTestId('error-bar');
    const rowsInError = async () => Number((await bar.innerText()).match(/(\d+) rows? ha(?:ve|s) errors/)?.[1]);
    const initial = await rowsInError();
    await edit(2, 'first_name', 'Jamalia');
    await edit(11, 'phone', '+1 555 000 1111');
    // the phone edit fixes row 11's only error; the bar's count follows the edit a moment later
    await until(async () => (await rowsInError()) === initial - 1, `${initial - 1} rows in error after the edits`);
    const errorsBefore = await bar.innerText();

    // Back, then Continue with the same mapping: every edit is kept
    await frame.getByRole('button', { name: 'Back', exact: true }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    assert.equal(await frame.getByTestId('notice').innerText(), 'Your edits were kept.');
    assert.equal(await frame.locator('[data-row="2"] [data-col="first_name"]').textContent(), 'Jamalia');
    assert.equal(await frame.locator('[data-row="11"] [data-col="phone"]').textContent(), '+1 555 000 1111');
    assert.equal(await frame.getByTestId('error-bar').innerText(), errorsBefore);

    // the stepper's "Map columns": ignore the file's Phone column; its edit is dropped and said so
    await frame.locator('.fbx-step-link', { hasText: 'Map columns' }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByLabel('Field for your column “Phone”').selectOption('');
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    assert.equal(await frame.getByTestId('notice').innerText(), 'Edits in 1 column no longer mapped were dropped: Phone.');
    assert.equal(await frame.locator('[data-row="2"] [data-col="first_name"]').textContent(), 'Jamalia');
    assert.equal(await frame.locator('[data-row="11"] [data-col="phone"]').textContent(), '');
    await screenshot(page, 'messy-review-after-remap-1280x800');

    // another header row would read the file again: it asks first, and "Keep my edits" keeps them
    await frame.locator('.fbx-step-link', { hasText: 'Header row' }).click();
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    await frame.getByRole('radio', { name: 'Use row 1 as the header row' }).click();
    const ask = frame.getByRole('alertdialog');
    assert.match(await ask.innerText(), /Discard your review edits\?/);
    await ask.getByRole('button', { name: 'Keep my edits' }).click();
    assert.match(await frame.locator('tr.header-row').innerText(), /E-mail Address/);
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('[data-row="2"] [data-col="first_name"]').textContent(), 'Jamalia');

    // Cancel still asks before throwing the work away
    await frame.getByRole('button', { name: 'Cancel', exact: true }).click();
    const dialog = frame.getByRole('alertdialog');
    assert.match(await dialog.innerText(), /Cancel this import\?/);
    await dialog.getByRole('button', { name: 'Keep going' }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('German UI: validation messages in German, with examples the importer accepts', async () => {
    const { buffer } = messyFile();
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${server.url}/demo?user=messy-de`);
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByTestId('file-input').setInputFiles({ name: 'messy.csv', mimeType: 'text/csv', buffer });
    await frame.getByRole('heading', { name: 'Kopfzeile wählen' }).waitFor();
    await frame.getByRole('button', { name: 'Weiter', exact: true }).click();
    await frame.getByRole('heading', { name: 'Spalten zuordnen' }).waitFor();
    await frame.getByRole('button', { name: 'Weiter', exact: true }).click();
    await frame.getByRole('heading', { name: 'Prüfen und korrigieren' }).waitFor({ timeout: 30_000 });
    const email = frame.locator('[data-row="9"] [data-col="email"]');
    await email.waitFor();
    assert.equal(await email.getAttribute('title'), 'muss eine gültige E-Mail-Adresse sein, z. B. name@example.com');
    await email.click();
    assert.equal(await frame.getByTestId('cell-issue').innerText(), 'muss eine gültige E-Mail-Adresse sein, z. B. name@example.com');
    // the plan column's errors (the column's badge filters them)
    await frame.getByTestId('col-errors-plan').click();
    const plan = frame.locator('[data-row="17"] [data-col="plan"]');
    await plan.waitFor();
    assert.equal(await plan.getAttribute('title'), 'muss einer dieser Werte sein: free, pro, enterprise');
    await screenshot(page, 'messy-review-de-1280x800');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
