// End-to-end: the console's Settings shows the last backup and takes one. Log in, open Settings, find
// "No backup yet.", press "Back up now", then find the last backup (its path in the data dir's backups
// folder) and a download link whose bytes are a gzip archive of the size the card shows.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('console backups', () => {
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

  test('Settings shows the last backup and takes one into the backups folder', async () => {
    const { context, page, errors } = await newPage(browser, { width: 1280, height: 1000 });
    await page.goto(server.urls.console);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const card = page.getByRole('region', { name: 'Backups' });
    await card.getByText('No backup yet.').waitFor();

    await card.getByRole('button', { name: 'Back up now' }).click();
    const last = card.getByTestId('backup-last');
    await last.getByText(/^Last backup /).waitFor();
    const text = await last.innerText();
    const m = /(\/\S+\/backups\/(fusebox-backup-\d{8}-\d{6}\.tar\.gz))/.exec(text);
    assert.ok(m, `the card names the backup file: ${text}`);
    assert.equal(m[1], join(server.dataDir, 'backups', m[2]));
    assert.ok(existsSync(m[1]), `${m[1]} exists`);
    assert.equal(statSync(m[1]).mode & 0o777, 0o600);

    const link = card.getByRole('link', { name: m[2] });
    await link.waitFor();
    const res = await context.request.get(new URL((await link.getAttribute('href')) ?? '', server.url).href);
    assert.equal(res.status(), 200);
    const body = await res.body();
    assert.equal(body.length, statSync(m[1]).size);
    assert.deepEqual([...body.subarray(0, 2)], [0x1f, 0x8b], 'a gzip archive');
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-backup');
    assert.deepEqual(errors, []);
  });
});
