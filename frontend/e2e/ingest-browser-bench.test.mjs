// The browser-level ingest benchmark (`make bench`, frontend/e2e/bench/browser-ingest.mjs) at a
// small size: the same 10,000-row CSV goes through the embedded importer to its first review page
// and through the Papa Parse reference page; both show the first rows and the right counts. No
// timing is asserted here.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { fuseboxRun, generateCSV, papaRun, prepareFusebox, startPapaPage } from './lib/ingestbench.mjs';
import { startServer } from './lib/server.mjs';

const ROWS = 10_000;

describe('browser ingest benchmark (smoke)', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {{ url: string, close: () => Promise<unknown> }} */
  let papa;
  let dir = '';
  let csv = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusebox-e2e-browser-bench-'));
    csv = join(dir, 'bench.csv');
    await generateCSV(csv, ROWS);
    server = await startServer();
    papa = await startPapaPage();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await papa?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the same file reaches the first review page in Fusebox and the first page in the Papa Parse page', async () => {
    const p = await papaRun(browser, papa.url, csv, { rows: ROWS, shot: 'ingest-browser-bench-papaparse' });
    assert.ok(p.ms > 0);
    const prep = await prepareFusebox(server);
    const f = await fuseboxRun(browser, server, prep, csv, { rows: ROWS, shot: 'ingest-browser-bench-fusebox' });
    assert.ok(f.ms >= f.stageMs && f.uploadMs > 0, JSON.stringify(f));
    // the generated file has rows with errors (unknown plan, broken email, impossible date, ...)
    assert.match(f.counts, /10,000 rows/);
    assert.match(f.counts, /\d[\d,]* rows? with errors/);
  });
});
