// `make bench` (scripts/bench.sh): the browser-level ingest figure. The same generated CSV
// (default 1,000,000 rows × 10 columns, about 110 MB) is chosen in the embedded importer of the
// real binary (bin/fusebox, or $FUSEBOX_BIN) and in a minimal Papa Parse page, in Chromium,
// alternately --runs times; each run is timed from "file chosen" to "first page of rows shown" (in
// Fusebox the review opens with its first rows while the rest of the file is validated and stored;
// the time until every row is checked is printed beside it).
// Prints every run, the medians and their ratio; exits 3 when Fusebox takes more than 1.5× the
// Papa Parse page (the target), 1 when a run fails.
//
//   node frontend/e2e/bench/browser-ingest.mjs [--rows N] [--runs N]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../lib/browser.mjs';
import { fuseboxRun, generateCSV, median, papaRun, prepareFusebox, startPapaPage } from '../lib/ingestbench.mjs';
import { startServer } from '../lib/server.mjs';

const TARGET = 1.5;
const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } } });
const rows = Number(values.rows);
const runs = Number(values.runs);
if (!(rows >= 1 && runs >= 1)) {
  console.error('browser-ingest: --rows and --runs must be at least 1');
  process.exit(2);
}

const s = (ms) => `${(ms / 1000).toFixed(2)}s`;
const dir = await mkdtemp(join(tmpdir(), 'fusebox-browser-bench-'));
let server;
let browser;
let papa;
let code = 0;
try {
  const csv = join(dir, 'bench.csv');
  let t = performance.now();
  await generateCSV(csv, rows);
  console.log(`generate            ${s(performance.now() - t)}  (${rows} rows x 10 columns, ${((await stat(csv)).size / 1e6).toFixed(1)} MB)`);
  server = await startServer();
  const prep = await prepareFusebox(server);
  papa = await startPapaPage();
  browser = await launchBrowser();
  const fb = [];
  const pp = [];
  const all = [];
  for (let i = 1; i <= runs; i++) {
    const p = await papaRun(browser, papa.url, csv, { rows, shot: i === 1 ? 'bench-browser-papaparse' : undefined });
    pp.push(p.ms);
    console.log(`papaparse page ${i}/${runs}  ${s(p.ms)}  (file chosen -> first page shown: parse in a worker, keep every row, render 100)`);
    const f = await fuseboxRun(browser, server, prep, csv, { rows, shot: i === 1 ? 'bench-browser-fusebox' : undefined });
    fb.push(f.ms);
    all.push(f.allMs);
    console.log(`fusebox embed ${i}/${runs}   ${s(f.ms)}  (upload + preview ${s(f.uploadMs)}, header and mapping steps ${s(f.stepsMs)}, ` +
      `staging until the first review rows ${s(f.stageMs)}${f.partialAtFirstRow ? ', shown while staging' : ''}; ${(f.ms / p.ms).toFixed(2)}x this run's Papa Parse page; ` +
      `every row checked and stored at ${s(f.allMs)}, ${(f.allMs / p.ms).toFixed(2)}x)`);
  }
  const ratio = median(fb) / median(pp);
  console.log(`every row checked and stored (not the target's figure), median: fusebox ${s(median(all))}: ${(median(all) / median(pp)).toFixed(2)}x the Papa Parse page`);
  const ok = ratio <= TARGET;
  if (!ok) code = 3;
  console.log(`browser ingest, median: fusebox ${s(median(fb))}, papaparse page ${s(median(pp))}: ${ratio.toFixed(2)}x, target <= ${TARGET}x: ${ok ? 'met' : 'NOT met'}`);
  console.log(`browser_ingest rows=${rows} fusebox_ms=${Math.round(median(fb))} papaparse_ms=${Math.round(median(pp))} ratio=${ratio.toFixed(2)} fusebox_all_ms=${Math.round(median(all))}`);
} catch (e) {
  console.error('browser-ingest:', e instanceof Error ? e.stack : e);
  code = 1;
} finally {
  await browser?.close();
  await papa?.close();
  await server?.stop().catch((e) => console.error('browser-ingest: server stop:', e.message));
  await rm(dir, { recursive: true, force: true });
}
process.exit(code);
