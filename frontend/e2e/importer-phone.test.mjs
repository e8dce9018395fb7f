// End-to-end: the importer and the marketplace on a phone (390×844) and on a laptop (1280×800), as
// the demo host app embeds them. Every importer step (upload, header row, mapping, review, submit)
// is checked with axe-core (injected into the importer iframe) for serious or critical
// accessibility violations, Cancel and the step's main button must be on screen, and a screenshot
// of each step is written to test-artifacts/e2e/importer-{phone,desktop}-<step>.png. The file is a
// messy one: a title row above the header, an alternate header name ("Account"), an enum value the
// importer does not allow ("gold") and an extra column.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactsDir, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { importerFrame, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

const MESSY = Buffer.from(
  [
    'Account list (confidential),,,,,,,,',
    'First Name,Last Name,E-mail,Phone,Account,Plan,Signup,Seats,Notes',
    'ada,Lovelace,ada@example.com,+1 415 555 0100,Analytical Engines,pro,12/10/2015,3,met at the fair',
    'Alan,Turing,alan@example.com,+44 20 7946 0000,Bletchley,free,2016-06-23,1,',
    'Grace,Hopper,grace@example.com,,Navy,gold,"May 21, 2023",12,call back',
    'Edsger,Dijkstra,edsger@example.com,,Mathematisch Centrum,gold,05/11/2019,2,',
    'Barbara,Liskov,barbara@example.com,,MIT,Pro,11/07/2018,4,',
    'Donald,Knuth,don@example.com,,Stanford,free,01/10/2020,1,',
  ].join('\n') + '\n',
);

/**
 * Runs axe-core in a frame (or page) and fails on serious or critical violations, naming them.
 * @param {import('playwright-core').Frame | import('playwright-core').Page} frame
 */
async function axeCheck(frame, what) {
  // Runtime.evaluate is not subject to the page's CSP (an injected <script> would be).
  if (!(await frame.evaluate(() => typeof (/** @type {any} */ (window).axe) === 'object'))) await frame.evaluate(AXE);
  const violations = await frame.evaluate(async () => {
    const r = await /** @type {any} */ (window).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((/** @type {any} */ v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 4).map((/** @type {any} */ n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 2).join(' ')}`),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${what}: accessibility violations (axe-core):\n${JSON.stringify(bad, null, 2)}`);
  return violations;
}

/** Asserts that an element is entirely inside the visible viewport (not scrolled off, not cut). */
async function onScreen(page, locator, what) {
  const box = await locator.boundingBox();
  const vp = page.viewportSize();
  assert.ok(
    box && box.x >= -0.5 && box.y >= -0.5 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= vp.height + 0.5,
    `${what} is not on the ${vp.width}×${vp.height} screen: ${JSON.stringify(box)}`,
  );
}

/** The importer iframe as a Frame (for evaluate). */
async function embedFrame(page, serverUrl) {
  return until(() => page.frames().find((f) => f.url().startsWith(serverUrl + '/embed/importer')), 'the importer iframe');
}

/**
 * Opens the demo host page's contacts importer and waits for its upload step.
 * @param {import('playwright-core').Page} page
 * @param {string} serverUrl
 */
async function openContactsImporter(page, serverUrl) {
  await page.goto(`${serverUrl.replace('127.0.0.1', 'localhost')}/demo?fusebox=${encodeURIComponent(serverUrl)}`);
  await page.getByLabel('Importer').selectOption('contacts');
  await page.getByRole('button', { name: 'Import data', exact: true }).click();
  const frame = importerFrame(page);
  await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
  return frame;
}

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
];

describe('importer and marketplace on a phone and a laptop', () => {
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

  for (const vp of VIEWPORTS) {
    test(`${vp.name} ${vp.width}×${vp.height}: every step fits, passes axe and is photographed`, async (t) => {
      // a server of its own: no mapping remembered from another run of the flow
      const server = await startServer();
      const { context, page, errors } = await newPage(browser, vp);
      // the page's open connections would keep the server from stopping: close it first
      t.after(async () => {
        await context.close();
        await server.stop();
      });
      const local = server.url.replace('127.0.0.1', 'localhost');
      // A user id as long as a real one (the request line on the page names it).
      await page.goto(`${local}/demo?fusebox=${encodeURIComponent(server.url)}&user=customer-1796213284976`);
      // The host page itself fits the phone too (a long request line once made it 431 px wide).
      await page.getByText('called by this app').first().waitFor();
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(pageWidth <= vp.width, `the demo page is ${pageWidth}px wide in a ${vp.width}px viewport`);
      await page.getByLabel('Importer').selectOption('contacts');
      const opener = page.getByRole('button', { name: 'Import data', exact: true });
      await opener.click();
      const frame = importerFrame(page);
      const ef = await embedFrame(page, server.url);
      const cancel = frame.getByRole('button', { name: 'Cancel' });
      // what the screen shows (the modal is fixed: a full-page shot would show the host page)
      const shot = async (step) => {
        await mkdir(artifactsDir, { recursive: true });
        await page.screenshot({ path: join(artifactsDir, `importer-${vp.name}-${step}.png`) });
      };

      // 1. Upload: the expected columns (required marked) and the templates.
      await frame.getByRole('heading', { name: 'Upload a file' }).waitFor({ timeout: 15_000 });
      const expected = frame.getByTestId('expected-columns');
      await expected.getByText('Columns this import expects').waitFor();
      assert.match(await frame.getByTestId('expected-email').innerText(), /Email\s*·\s*required/);
      assert.match(await frame.getByTestId('expected-plan').innerText(), /one of free, pro, enterprise/);
      await expected.getByRole('button', { name: 'Excel template' }).waitFor();
      await onScreen(page, cancel, 'Cancel on the upload step');
      await onScreen(page, frame.getByRole('button', { name: 'Choose a file' }), 'Choose a file');
      await axeCheck(ef, `${vp.name} upload`);
      await shot('1-upload');
      // the CSV template downloads from the definition
      const [download] = await Promise.all([page.waitForEvent('download'), expected.getByRole('button', { name: 'CSV template' }).click()]);
      assert.equal(download.suggestedFilename(), 'contacts-template.csv');
      const csv = await readFile(/** @type {string} */ (await download.path()), 'utf8');
      assert.match(csv.split('\n')[0], /^First name,Last name,Email,Phone,Company,Plan,Signup date,Seats/);
      assert.match(csv.split('\n')[1], /^Ada,Lovelace,ada@example\.com,\+1 415 555 0100,,pro,10\/04\/2015,/, 'the example row');
      assert.match(await frame.getByTestId('expected-email').innerText(), /Work email; one row per person\. · e\.g\. ada@example\.com/);

      await frame.getByTestId('file-input').setInputFiles({ name: 'messy.csv', mimeType: 'text/csv', buffer: MESSY });

      // 2. Header row: choosing the title row warns, names the dropped columns and offers row 2.
      await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
      const continueBtn = frame.getByRole('button', { name: 'Continue' });
      await frame.getByRole('radio', { name: 'Use row 1 as the header row' }).click();
      const warn = frame.getByTestId('header-warning');
      await warn.waitFor();
      assert.match(await warn.innerText(), /Row 1 looks like a title.*only 1 of 9 columns have a name here, so 8 columns would be dropped/s);
      await onScreen(page, continueBtn, 'Continue on the header step');
      await onScreen(page, cancel, 'Cancel on the header step');
      await axeCheck(ef, `${vp.name} header row (warning)`);
      await shot('2-header-title-row');
      await warn.getByRole('button', { name: 'Use row 2 instead' }).click();
      await warn.waitFor({ state: 'detached' });
      await axeCheck(ef, `${vp.name} header row`);
      await shot('2-header');
      await continueBtn.click();

      // 3. Mapping: the alternate name is said so, gold is flagged and mapped in one click.
      await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
      await frame.getByText('All required fields are mapped.').waitFor();
      const account = frame.locator('tr', { has: frame.getByRole('rowheader', { name: 'Account', exact: true }) });
      assert.equal(await account.locator('.fbx-badge').innerText(), 'Matched a known alternate name');
      const planWarn = frame.getByTestId('values-warn-plan');
      await planWarn.waitFor();
      assert.match(await planWarn.innerText(), /1 value is not allowed/);
      await onScreen(page, frame.getByRole('button', { name: 'Continue' }), 'Continue on the mapping step');
      await onScreen(page, cancel, 'Cancel on the mapping step');
      await axeCheck(ef, `${vp.name} mapping`);
      // The values panel comes after the whole mapping list, never on top of it.
      const listBox = await frame.locator('.fbx-mapping').boundingBox();
      const valuesBox = await frame.locator('.fbx-values').first().boundingBox();
      assert.ok(listBox && valuesBox && valuesBox.y >= listBox.y + listBox.height - 1,
        `the values panel (top ${valuesBox?.y}) overlaps the mapping list (bottom ${listBox && listBox.y + listBox.height})`);
      await shot('3-mapping');
      const gold = frame.getByTestId('value-row-plan-gold');
      await gold.getByRole('button', { name: /^Use “/ }).click();
      await planWarn.waitFor({ state: 'detached' });
      assert.notEqual(await gold.getByRole('combobox').inputValue(), '');
      await shot('3-mapping-gold-fixed');
      await frame.getByRole('button', { name: 'Continue' }).click();

      // 4. Review.
      await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
      await frame.getByText('All rows are valid').waitFor();
      await onScreen(page, frame.getByRole('button', { name: 'Continue' }), 'Continue on the review step');
      await onScreen(page, cancel, 'Cancel on the review step');
      await axeCheck(ef, `${vp.name} review`);
      await shot('4-review');
      await frame.getByRole('button', { name: 'Continue' }).click();

      // 5. Submit.
      const importBtn = frame.getByRole('button', { name: 'Import 6 rows' });
      await importBtn.waitFor();
      await onScreen(page, importBtn, 'Import on the submit step');
      await onScreen(page, cancel, 'Cancel on the submit step');
      await axeCheck(ef, `${vp.name} submit`);
      await shot('5-submit');
      await importBtn.click();
      await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });
      await axeCheck(ef, `${vp.name} done`);
      await shot('6-done');

      // Escape closes the finished importer; focus goes back to the button that opened it.
      await frame.getByRole('heading', { name: 'Import complete' }).focus();
      // Down and up apart: this key removes the frame it is typed into, and a press (down and up as
      // one call) could wait forever for the up of a frame that was gone by then.
      await page.keyboard.down('Escape');
      await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
      await page.keyboard.up('Escape');
      await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
      assert.equal(await opener.evaluate((el) => el === document.activeElement), true, 'focus is back on the opener');
      // The host page still fits once its imports table lists the import (it was 480 px wide at 390).
      await page.getByRole('table', { name: 'Your imports' }).locator('tbody tr').first().waitFor();
      const widthAfter = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(widthAfter <= vp.width, `the demo page with its imports table is ${widthAfter}px wide in a ${vp.width}px viewport`);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }

  test('Escape asks before throwing work away; Tab stays inside the importer', async () => {
    const { context, page, errors } = await newPage(browser, VIEWPORTS[0]);
    const frame = await openContactsImporter(page, server.url);
    await frame.getByTestId('file-input').setInputFiles({ name: 'messy.csv', mimeType: 'text/csv', buffer: MESSY });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    // The modal has the focus, so each new step's title takes it (a screen reader reads it).
    const ef = await embedFrame(page, server.url);
    await until(async () => (await ef.evaluate(() => document.activeElement?.textContent)) === 'Choose the header row', 'the header step title is focused');
    // Tab through every control: focus never leaves the importer's document.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'IFRAME', `Tab #${i + 1} left the importer`);
      assert.equal(await ef.evaluate(() => document.activeElement !== document.body), true, `Tab #${i + 1}: nothing focused in the importer`);
    }
    await page.keyboard.press('Escape');
    const confirm = frame.getByRole('alertdialog');
    await confirm.waitFor();
    await page.keyboard.press('Escape'); // closes the question, not the importer
    await confirm.waitFor({ state: 'detached' });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    await page.keyboard.press('Escape');
    await confirm.getByRole('button', { name: 'Yes, cancel' }).click();
    await page.locator('iframe.fusebox-importer-frame').waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('phone 390×844: a row whose errors are off screen is marked, and its marker goes to the first', async () => {
    const { context, page, errors } = await newPage(browser, VIEWPORTS[0]);
    const frame = await openContactsImporter(page, server.url);
    await frame.getByTestId('file-input').setInputFiles({ name: 'messy.csv', mimeType: 'text/csv', buffer: MESSY });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByTestId('values-warn-plan').waitFor();
    await frame.getByRole('button', { name: 'Continue' }).click(); // "gold" left as it is: rows 3 and 4 have an error in Plan
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    await frame.getByText('2 rows with errors').first().waitFor();
    const plan3 = frame.locator('.fbx-gr[data-row="3"] [data-col="plan"]');
    await plan3.waitFor();
    const grid = await frame.locator('.fbx-grid-scroll').boundingBox();
    const before = await plan3.boundingBox();
    assert.ok(grid && before && before.x >= grid.x + grid.width, `the Plan cell of row 3 is on screen before the jump (${JSON.stringify(before)}): the test proves nothing`);
    // the rows with errors are marked beside their number, the others not
    assert.equal(await frame.locator('.fbx-row-err').count(), 2);
    const marker = frame.getByRole('button', { name: 'Row 3 has errors: go to the first' });
    await onScreen(page, marker, 'the error marker of row 3');
    await axeCheck(await embedFrame(page, server.url), 'phone review with errors');
    await marker.click();
    await until(async () => /\bactive\b/.test((await plan3.getAttribute('class')) ?? ''), 'the Plan cell of row 3 is the active cell');
    const after = await plan3.boundingBox();
    assert.ok(after && after.x >= grid.x && after.x + after.width <= grid.x + grid.width + 0.5, `the Plan cell of row 3 is not in the grid's view after the jump: ${JSON.stringify(after)} in ${JSON.stringify(grid)}`);
    await mkdir(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, 'importer-phone-review-error-jump.png') });
    // the grid has the keyboard: Enter edits the cell the marker went to
    await page.keyboard.press('Enter');
    await frame.getByRole('textbox', { name: /Plan/ }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the sticky header of the mapping table sits flush at the top of its scroll box', async () => {
    const { context, page, errors } = await newPage(browser, VIEWPORTS[1]);
    const frame = await openContactsImporter(page, server.url);
    const cols = ['First Name', 'E-mail', ...Array.from({ length: 40 }, (_, i) => `Extra ${i + 1}`)];
    const wide = Buffer.from(cols.join(',') + '\n' + cols.map((_, i) => (i === 1 ? 'a@example.com' : `v${i}`)).join(',') + '\n');
    await frame.getByTestId('file-input').setInputFiles({ name: 'wide.csv', mimeType: 'text/csv', buffer: wide });
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.locator('.fbx-mapping thead th').first().waitFor(); // the table comes after its heading
    const ef = await embedFrame(page, server.url);
    // Scroll the rows under the header, then look at the line just above the header's bottom edge
    // and at the header's top: no row may show between the header and the top of what scrolls.
    const gap = await ef.evaluate(() => {
      const th = /** @type {HTMLElement} */ (document.querySelector('.fbx-mapping thead th'));
      let box = th.parentElement;
      while (box && !(box.scrollHeight > box.clientHeight && getComputedStyle(box).overflowY !== 'visible')) box = box.parentElement;
      if (!box) return { error: 'no scroll box around the mapping table' };
      box.scrollTop = 400;
      const b = box.getBoundingClientRect();
      const h = th.getBoundingClientRect();
      const inner = b.top + box.clientTop; // below the box's border
      const x = h.left + 20;
      const seen = [];
      for (let y = Math.ceil(inner); y < h.top; y++) {
        const el = document.elementFromPoint(x, y);
        if (el?.closest('tbody')) seen.push(y);
      }
      return { scrolled: box.scrollTop, gap: h.top - inner, rowsSeenAbove: seen.length };
    });
    assert.ok(!('error' in gap), JSON.stringify(gap));
    assert.ok(gap.scrolled > 0, 'the mapping table scrolled');
    assert.ok(gap.gap <= 0.5, `the sticky header is ${gap.gap}px below the top of its scroll box`);
    assert.equal(gap.rowsSeenAbove, 0, 'rows show above the sticky header');
    await screenshot(page, 'importer-desktop-mapping-scrolled');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('phone 390×844: the marketplace frame grows to its content, Install is reachable, axe passes', async () => {
    const { context, page, errors } = await newPage(browser, VIEWPORTS[0]);
    await page.goto(server.urls['demo app']);
    await page.getByRole('tab', { name: 'Integrations' }).click();
    const log = page.getByRole('list', { name: 'Marketplace events' });
    await log.getByText('ready').waitFor({ timeout: 15_000 });
    // The host page fits the phone (the plan picker once made it 410 px wide).
    const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(pageWidth <= 390, `the demo page is ${pageWidth}px wide in a 390px viewport`);
    const mf = await until(() => page.frames().find((f) => f.url().startsWith(server.url + '/marketplace')), 'the marketplace iframe');
    await mf.getByTestId('mp-user').getByText('Dana Demo').waitFor();
    await axeCheck(mf, 'marketplace catalog');
    await mf.locator('.mp-card[data-listing="crm"]').click();
    await mf.getByRole('button', { name: 'Install' }).click();
    const form = mf.getByRole('form', { name: 'Install Acme CRM' });
    await form.waitFor();
    const iframe = page.locator('iframe[title="Integrations"]');
    // the frame follows its content: nothing scrolls inside it
    await until(async () => {
      const [h, content] = [await iframe.evaluate((el) => el.getBoundingClientRect().height), await mf.evaluate(() => document.documentElement.scrollHeight)];
      return Math.abs(h - content) <= 1 && h > 600;
    }, 'the marketplace iframe to grow to its content');
    const install = form.getByRole('button', { name: 'Install' });
    await install.scrollIntoViewIfNeeded();
    const [b, f] = [await install.boundingBox(), await iframe.boundingBox()];
    assert.ok(b && f && b.y >= f.y && b.y + b.height <= f.y + f.height, `Install ${JSON.stringify(b)} is inside the frame ${JSON.stringify(f)}`);
    await onScreen(page, install, 'Install');
    await axeCheck(mf, 'marketplace install form');
    await screenshot(page, 'marketplace-phone-install');
    await install.click();
    await mf.locator('[aria-label="Installation progress"][data-status="installed"]').waitFor({ timeout: 20_000 });
    await log.getByText('listing_installation_complete').waitFor();
    await axeCheck(mf, 'marketplace installed');
    await screenshot(page, 'marketplace-phone-installed');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
