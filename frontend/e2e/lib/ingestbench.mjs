// The browser-level ingest figure: the same generated CSV dropped into the embedded importer (the
// real binary: upload, header row, mapping, parse + validate + stage, first review page) and into a
// minimal client-side importer built on Papa Parse (parse in a worker, render the first page), in
// Chromium, from "file chosen" to "first page of rows shown". Used by `make bench`
// (frontend/e2e/bench/browser-ingest.mjs) and, at a small size, by the e2e suite.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import { newPage, screenshot } from './browser.mjs';
import { importerFrame, ownDemoBackend, putImporter, secretKey } from './importer.mjs';
import { repoRoot } from './server.mjs';

/** The importer the file goes into: the 10 columns of `fusebox-bench ingest`. */
export const BENCH_IMPORTER = {
  slug: 'bench_browser',
  name: 'Browser benchmark',
  settings: { invalid_rows: 'exclude', max_file_size: '2GB' },
  columns: [
    { key: 'first_name', label: 'First name', type: 'string', required: true },
    { key: 'last_name', label: 'Last name', type: 'string' },
    { key: 'email', label: 'Email', type: 'email', required: true, unique: 'case_insensitive', transformations: [{ type: 'lowercase' }] },
    { key: 'phone', label: 'Phone', type: 'phone' },
    { key: 'company', label: 'Company', type: 'string', validations: [{ type: 'max_length', value: '120' }] },
    { key: 'plan', label: 'Plan', type: 'enum', values: [{ value: 'free' }, { value: 'pro' }, { value: 'enterprise' }] },
    { key: 'signup_date', label: 'Signup date', type: 'date', pattern: 'yyyy-MM-dd' },
    { key: 'seats', label: 'Seats', type: 'integer', validations: [{ type: 'greater_than', value: '0' }] },
    { key: 'website', label: 'Website', type: 'url', transformations: [{ type: 'prefix' }] },
    { key: 'score', label: 'Score', type: 'float', transformations: [{ type: 'number_of_decimals', value: '2' }] },
  ],
};

const FIRST = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Edsger', 'José', 'Zoë'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Allen', 'Dijkstra', 'Müller'];
const PLANS = ['free', 'pro', 'enterprise', 'Pro', 'FREE'];

/**
 * Writes `rows` rows of the benchmark's 10 columns to path (about 110 bytes a row), with the same
 * kinds of invalid cells as `fusebox-bench ingest` (unknown plan, email without @, impossible date,
 * text seats, a duplicate email). Deterministic.
 */
export async function generateCSV(path, rows) {
  const out = createWriteStream(path);
  let seed = 42;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pad = (v, n) => String(v).padStart(n, '0');
  let buf = 'First Name,Last Name,Email,Phone,Company,Plan,Signup Date,Seats,Website,Score\n';
  let prev = '';
  for (let i = 1; i <= rows; i++) {
    const fn = FIRST[rnd(FIRST.length)];
    const ln = LAST[rnd(LAST.length)];
    let email = `${fn[0].toLowerCase()}.${ln.slice(0, 3).toLowerCase()}${i}@example.com`;
    let plan = PLANS[rnd(PLANS.length)];
    let date = `20${pad(rnd(24), 2)}-${pad(1 + rnd(12), 2)}-${pad(1 + rnd(28), 2)}`;
    let seats = String(1 + rnd(500));
    if (i % 97 === 0) plan = 'Gold';
    else if (i % 137 === 0) email = email.replace('@', '-at-');
    else if (i % 173 === 0) date = '2023-02-30';
    else if (i % 211 === 0) seats = 'many';
    else if (i % 1009 === 0) email = prev.toUpperCase();
    prev = email;
    buf += `${fn},${ln},${email},555-${pad(rnd(1000), 3)}-${pad(rnd(10000), 4)},Company ${i % 5000},${plan},${date},${seats},co${i % 5000}.example.com,${rnd(1000)}.${pad(rnd(100), 2)}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

/**
 * Prepares the server for fuseboxRun: the benchmark importer and a secret key for the demo host
 * app's backend routes.
 * @param {import('./server.mjs').RunningServer} server
 */
export async function prepareFusebox(server) {
  await putImporter(server, BENCH_IMPORTER);
  return { key: await secretKey(server, 'browser bench') };
}

/**
 * One run in the embedded importer (the demo host page, the SDK's iframe): the file is chosen in
 * the upload step, the header row and the suggested mapping are confirmed as soon as they show,
 * and the clock stops when the first review row is on screen (the review opens while the rest of
 * the file is still being checked); the run then waits until every row is checked. Returns
 * milliseconds: total to the first row and its parts (upload until the header step, header +
 * mapping steps, staging until the first row), and allMs until every row was checked.
 * @param {import('playwright-core').Browser} browser
 * @param {import('./server.mjs').RunningServer} server
 * @param {{ key: string }} prep
 * @param {string} csvPath
 * @param {{ rows: number, shot?: string }} opts
 */
export async function fuseboxRun(browser, server, prep, csvPath, { rows, shot }) {
  const { context, page, errors } = await newPage(browser);
  try {
    await ownDemoBackend(page, server, prep.key, [BENCH_IMPORTER]);
    await page.goto(`${server.url}/demo?user=bench`);
    await page.getByLabel('Importer').selectOption(BENCH_IMPORTER.slug);
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    const long = { timeout: 600_000 };
    const t0 = performance.now();
    await frame.getByTestId('file-input').setInputFiles(csvPath);
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor(long);
    const t1 = performance.now();
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor(long);
    await frame.getByText('All required fields are mapped.').waitFor(long);
    await frame.getByRole('button', { name: 'Continue', exact: true }).click();
    const t2 = performance.now();
    await frame.locator('[role=row][data-row="1"]').waitFor(long);
    const t3 = performance.now();
    // the review opens with its first rows while the rest of the file is checked (the counts say
    // "so far"); the run goes on until every row is checked and the counts are whole
    const countsEl = frame.getByTestId('counts');
    const partialAtFirstRow = (await countsEl.getAttribute('data-partial')) === 'true';
    if (shot && partialAtFirstRow) await screenshot(page, `${shot}-partial`);
    await frame.locator('[data-testid=counts]:not([data-partial])').waitFor(long);
    const t4 = performance.now();
    const counts = await countsEl.innerText();
    if (!counts.replace(/[^\d]/g, '').startsWith(String(rows))) throw new Error(`the review counts say ${JSON.stringify(counts)}, want ${rows} rows`);
    if (shot) await screenshot(page, shot);
    const bad = errors.filter((e) => !e.includes('net::ERR_ABORTED'));
    if (bad.length) throw new Error(`the importer page had errors: ${bad.join('; ')}`);
    return { ms: t3 - t0, uploadMs: t1 - t0, stepsMs: t2 - t1, stageMs: t3 - t2, allMs: t4 - t0, partialAtFirstRow, counts };
  } finally {
    await context.close();
  }
}

const PAPA_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Papa Parse importer</title><link rel="icon" href="data:,">
<style>body{font:14px system-ui;margin:16px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>
</head><body>
<h1>Client-side importer (Papa Parse)</h1>
<input type="file" id="file" accept=".csv">
<p id="status"></p>
<table id="grid"></table>
<script>
const worker = new Worker('/worker.js');
const file = document.getElementById('file');
file.addEventListener('change', () => {
  document.getElementById('status').textContent = 'Parsing…';
  worker.postMessage(file.files[0]);
});
worker.onmessage = (e) => {
  const { total, first, error } = e.data;
  if (error) { document.getElementById('status').textContent = error; return; }
  const grid = document.getElementById('grid');
  grid.textContent = '';
  first.forEach((r, i) => {
    const tr = grid.insertRow();
    tr.dataset.row = String(i);
    for (const v of r) { const c = tr.insertCell(); c.textContent = v; }
  });
  const s = document.getElementById('status');
  s.textContent = (total - 1) + ' rows';
  s.dataset.total = String(total - 1);
};
</script></body></html>`;

// The worker keeps every parsed row (a client-side importer reviews them all) and sends back the
// header and the first page of 100.
const PAPA_WORKER = `importScripts('/papaparse.min.js');
onmessage = (e) => {
  const rows = [];
  Papa.parse(e.data, {
    skipEmptyLines: true,
    chunk: (r) => { for (const row of r.data) rows.push(row); },
    complete: () => postMessage({ total: rows.length, first: rows.slice(0, 101) }),
    error: (err) => postMessage({ error: String(err) }),
  });
};`;

/**
 * Serves the Papa Parse page, its worker and papaparse.min.js (frontend/node_modules, a
 * devDependency) on a loopback port. Returns its URL and a close function.
 */
export async function startPapaPage() {
  const papa = await readFile(join(repoRoot, 'frontend', 'node_modules', 'papaparse', 'papaparse.min.js'));
  const files = {
    '/': ['text/html; charset=utf-8', PAPA_PAGE],
    '/worker.js': ['text/javascript', PAPA_WORKER],
    '/papaparse.min.js': ['text/javascript', papa],
  };
  const srv = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!f) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': f[0], 'Cache-Control': 'no-store' });
    res.end(f[1]);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = /** @type {import('node:net').AddressInfo} */ (srv.address());
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((r) => srv.close(r)) };
}

/**
 * One run in the Papa Parse page: file chosen → first page of rows shown.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url the page's URL (startPapaPage)
 * @param {string} csvPath
 * @param {{ rows: number, shot?: string }} opts
 */
export async function papaRun(browser, url, csvPath, { rows, shot }) {
  const { context, page, errors } = await newPage(browser);
  try {
    await page.goto(url);
    const t0 = performance.now();
    await page.locator('#file').setInputFiles(csvPath);
    await page.locator('#grid tr[data-row="1"]').waitFor({ timeout: 600_000 });
    const ms = performance.now() - t0;
    const total = await page.locator('#status').getAttribute('data-total');
    if (total !== String(rows)) throw new Error(`the Papa Parse page counted ${total} rows, want ${rows}`);
    if (shot) await screenshot(page, shot);
    if (errors.length) throw new Error(`the Papa Parse page had errors: ${errors.join('; ')}`);
    return { ms };
  } finally {
    await context.close();
  }
}

/** The median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
