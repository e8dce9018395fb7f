// End-to-end: submit runs as a background job on the server; the embed's submit step follows it
// with a progress bar ("N of 200,000 records saved") and then shows the finished import, on a
// laptop (1280×800) and on a phone (390×844). The import is completed with every record. A server
// killed with SIGKILL half way through a submit and started again on the same data dir and port
// resumes it; the embed, polling meanwhile, shows the import complete.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newPage, screenshot } from './lib/browser.mjs';
import { api, adminToken, importerFrame, importerSuite, ownDemoBackend, peopleCSV, putImporter, secretKey, until, withoutAbortedPages } from './lib/importer.mjs';
import { rm } from 'node:fs/promises';
import { startServer } from './lib/server.mjs';

const ROWS = 200_000;
const DEF = {
  slug: 'e2e_submit_progress',
  name: 'Submit progress (e2e)',
  columns: [
    { key: 'id', label: 'Id', type: 'integer', required: true },
    { key: 'name', label: 'Name', type: 'string' },
    { key: 'email', label: 'Email', type: 'email' },
  ],
};

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

describe('submit progress in the embed', () => {
  const s = importerSuite(DEF);
  const buffer = peopleCSV(ROWS);

  /** Opens the importer in the demo host page and takes people.csv to the submit step. */
  async function toSubmit(page, srv, apiKey, user) {
    await ownDemoBackend(page, srv, apiKey, [DEF]);
    await page.goto(`${srv.url}/demo?user=progress-${user}`);
    await page.getByLabel('Importer').selectOption(DEF.slug);
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await frame.getByTestId('file-input').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor({ timeout: 30_000 });
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 60_000 });
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Ready to import' }).waitFor();
    return frame;
  }

  for (const vp of VIEWPORTS) {
    test(`${vp.name} ${vp.width}×${vp.height}: a progress bar while the records are saved, then the finished import`, async () => {
      const { context, page, errors } = await newPage(s.browser, vp);
      /** @type {string[]} */
      const submits = [];
      page.on('response', (r) => r.url().endsWith('/submit') && submits.push(`${r.status()}`));
      const frame = await toSubmit(page, s.server, s.key, vp.name);
      await frame.getByRole('button', { name: 'Import 200,000 rows' }).click();

      // the bar shows the records saved so far, part way
      const bar = frame.getByTestId('submit-progress');
      const seen = await until(async () => {
        const now = Number(await bar.getByRole('progressbar').getAttribute('aria-valuenow', { timeout: 200 }).catch(() => 'NaN'));
        return now > 0 && now < 100 ? now : 0;
      }, 'the submit progress part way', 60_000, 20);
      const text = await bar.innerText();
      assert.match(text, /[\d,]+ of 200,000 records saved/, text);
      const box = await bar.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= vp.width + 0.5, `the progress bar is inside the ${vp.width}px screen: ${JSON.stringify(box)}`);
      await bar.scrollIntoViewIfNeeded();
      await screenshot(page, `submit-progress-${vp.name}`);
      console.log(`${vp.name}: the bar at ${seen}%: ${text.replace(/\s+/g, ' ')}`);

      await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 120_000 });
      assert.match(await frame.getByTestId('done-body').innerText(), /200,000 rows were imported/);
      await screenshot(page, `submit-done-${vp.name}`);
      assert.deepEqual(submits, ['202'], 'one submit, answered 202 at once');

      // the imports API: completed with every record
      const token = await adminToken(s.server);
      const list = await api(s.server, token, 'GET', `/api/admin/imports?importer=${DEF.slug}&per_page=5`);
      const imp = list.imports.find((i) => i.metadata?.user_id === `progress-${vp.name}`) ?? list.imports[0];
      assert.equal(imp.status, 'completed');
      const recs = await api(s.server, token, 'GET', `/api/admin/imports/${imp.slug}/records?per_page=1`);
      assert.equal(recs.total, ROWS);
      assert.deepEqual(withoutAbortedPages(errors), []);
      await context.close();
    });
  }

  test('desktop: the server killed half way through the submit and started again; the embed shows the import complete', async () => {
    const first = await startServer({ keepDataDir: true });
    const dataDir = first.dataDir;
    const addr = new URL(first.url).host;
    let again;
    try {
      await putImporter(first, DEF);
      const k = await secretKey(first);
      const { context, page, errors } = await newPage(s.browser, VIEWPORTS[0]);
      const frame = await toSubmit(page, first, k, 'restart');
      await frame.getByRole('button', { name: 'Import 200,000 rows' }).click();
      const bar = frame.getByTestId('submit-progress').getByRole('progressbar');
      await until(async () => Number(await bar.getAttribute('aria-valuenow', { timeout: 200 }).catch(() => 'NaN')) > 0, 'the submit under way', 60_000, 20);
      await first.kill();
      const token = await adminToken(first);
      await screenshot(page, 'submit-killed-desktop');
      again = await startServer({ dataDir, addr });
      await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 120_000 });
      assert.match(await frame.getByTestId('done-body').innerText(), /200,000 rows were imported/);
      await screenshot(page, 'submit-resumed-desktop');
      const list = await api(again, token, 'GET', `/api/admin/imports?importer=${DEF.slug}&per_page=5`);
      assert.equal(list.imports[0].status, 'completed');
      const recs = await api(again, token, 'GET', `/api/admin/imports/${list.imports[0].slug}/records?per_page=1`);
      assert.equal(recs.total, ROWS);
      // the polls that found no server while it was down are the only errors
      const other = withoutAbortedPages(errors).filter((e) => !/ERR_CONNECTION_REFUSED|Failed to fetch|NetworkError/.test(e));
      assert.deepEqual(other, []);
      await context.close();
    } finally {
      await again?.stop().catch(() => {});
      await first.stop().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
