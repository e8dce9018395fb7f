// End-to-end: a phone's network drops the importer's upload half way. The first attempt's bytes
// reach the server over a connection that is then cut (the server keeps what it received), and the
// page sees a network error; the importer asks the server how much it kept, sends the rest with
// Content-Range, and the end user reaches the review without choosing the file again. The stored
// file is the one chosen, byte for byte.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { newPage, screenshot } from './lib/browser.mjs';
import { adminToken, importerFrame, importerSuite, ownDemoBackend, peopleCSV, until, withoutAbortedPages } from './lib/importer.mjs';

const ROWS = 100_000;
const DEF = {
  slug: 'e2e_upload_resume',
  name: 'Upload resume (e2e)',
  columns: [
    { key: 'id', label: 'Id', type: 'integer', required: true },
    { key: 'name', label: 'Name', type: 'string' },
    { key: 'email', label: 'Email', type: 'email' },
  ],
};

describe('an upload cut by the network resumes', () => {
  const s = importerSuite(DEF);
  const buffer = peopleCSV(ROWS);

  test('phone 390×844: the first attempt dies half way, the importer still reaches the review', async () => {
    const { context, page, errors } = await newPage(s.browser, { width: 390, height: 844 });
    /** @type {string[]} the Content-Range of each PUT of the file */
    const puts = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && /\/file\?/.test(r.url())) puts.push(r.headers()['content-range'] ?? '');
    });
    let slug = '';
    let half = 0;
    let cut = false;
    await page.route(/\/api\/importer\/imports\/[^/]+\/file\?/, async (route) => {
      const req = route.request();
      if (req.method() !== 'PUT' || cut) return route.continue();
      cut = true;
      const u = new URL(req.url());
      slug = u.pathname.split('/')[4];
      const auth = await req.headerValue('authorization');
      const range = await req.headerValue('content-range');
      assert.equal(range, `bytes 0-${buffer.length - 1}/${buffer.length}`, 'the first attempt is the whole file as one range');
      // The first half reaches the server, then the connection drops.
      half = Math.floor(buffer.length / 2);
      const sock = connect(Number(u.port), u.hostname);
      await once(sock, 'connect');
      sock.write(
        `PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${auth}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Range: ${range}\r\nContent-Length: ${buffer.length}\r\n\r\n`,
      );
      sock.write(buffer.subarray(0, half));
      const state = async () => {
        const res = await fetch(`${s.server.url}/api/importer/imports/${slug}/upload`, { headers: { Authorization: auth ?? '' } });
        return (await res.json()).offset;
      };
      await until(async () => (await state()) >= 1 << 20, 'the server to keep the first chunks', 60_000);
      sock.destroy();
      await until(async () => (await state()) === half, 'the server to keep the first half', 60_000);
      await route.abort('connectionreset');
    });
    await ownDemoBackend(page, s.server, s.key, [DEF]);
    await page.goto(`${s.server.url}/demo?user=resume`);
    await page.getByLabel('Importer').selectOption(DEF.slug);
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await frame.getByTestId('file-input').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor({ timeout: 90_000 });
    await screenshot(page, 'importer-upload-resumed-header');
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 120_000 });
    await screenshot(page, 'importer-upload-resumed-review');

    assert.deepEqual(
      puts,
      [`bytes 0-${buffer.length - 1}/${buffer.length}`, `bytes ${half}-${buffer.length - 1}/${buffer.length}`],
      'the cut attempt, then only the rest',
    );
    // The stored file is the chosen one.
    const res = await fetch(`${s.server.url}/api/admin/imports/${slug}/file`, { headers: { Authorization: `Bearer ${await adminToken(s.server)}` } });
    assert.equal(res.status, 200);
    const stored = Buffer.from(await res.arrayBuffer());
    assert.equal(createHash('sha256').update(stored).digest('hex'), createHash('sha256').update(buffer).digest('hex'), 'the stored file is the uploaded one');
    const imp = await (await fetch(`${s.server.url}/api/v1/imports/${slug}`, { headers: { Authorization: `Bearer ${s.key}` } })).json();
    assert.equal(imp.row_count, ROWS);
    // the one failure is the cut attempt (the page's network error)
    const cutFile = (/** @type {string} */ e) => /\/file\?name=people\.csv/.test(e) && /CONNECTION_RESET/.test(e);
    assert.ok(errors.some(cutFile), `the cut attempt failed in the page: ${JSON.stringify(errors)}`);
    assert.deepEqual(withoutAbortedPages(errors).filter((e) => !cutFile(e) && !/Failed to load resource: net::ERR_CONNECTION_RESET/.test(e)), []);
    await context.close();
  });
});
