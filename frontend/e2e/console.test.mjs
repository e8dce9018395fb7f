// End-to-end: the real binary on a free port, driven by Chromium the way a
// person uses the console: open the printed login URL, see the dashboard.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('console', () => {
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
    await server?.stop(); // asserts a clean exit on SIGTERM
  });

  test('the printed login URL opens the dashboard with data from the API', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(server.urls.console);

    // The login code is exchanged for a cookie and dropped from the address bar.
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(new URL(page.url()).search, '');

    const version = page.getByTestId('version');
    await version.waitFor();
    assert.equal(await version.textContent(), server.version);

    // The cards show exactly what the API reports.
    const api = await context.request.get(`${server.url}/api/admin/dashboard`);
    assert.equal(api.status(), 200);
    const dash = await api.json();
    assert.equal(dash.data_dir, server.dataDir);
    const cards = await page.locator('[data-stat]').evaluateAll((els) =>
      els.map((el) => [el.getAttribute('data-stat'), el.querySelector('.stat-value')?.textContent]),
    );
    assert.deepEqual(cards, dash.stats.map((s) => [s.name, s.count.toLocaleString('en-US')]));
    assert.equal(await page.getByText('No statistics are reported yet.').count(), dash.stats.length === 0 ? 1 : 0);
    assert.match(await page.locator('.server-card').innerText(), new RegExp(escape(server.dataDir)));

    // The console told the server it rendered (the desktop smoke test relies on this line).
    await server.waitForLog(/console ready.*door=port/, 10_000);

    await screenshot(page, 'console-dashboard');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('every navigation entry opens its page', async () => {
    const { context, page, errors } = await newPage(browser);
    // A fresh login code is not printed again, so sign in with the admin token file instead.
    await context.setExtraHTTPHeaders({ Authorization: `Bearer ${await adminToken(server)}` });
    await page.goto(`${server.url}/`);
    await page.getByTestId('version').waitFor();

    const nav = page.getByRole('navigation', { name: 'Console' });
    for (const [label, heading] of [
      ['Importers', 'Importers'],
      ['Imports', 'Imports'],
      ['Keys & Sessions', 'Keys & Sessions'],
      ['Marketplace', 'Marketplace'],
      ['Relay', 'Relay'],
      ['Settings', 'Settings'],
      ['Dashboard', 'Dashboard'],
    ]) {
      await nav.getByRole('link', { name: label, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
      assert.equal(await nav.locator('[aria-current="page"]').textContent(), label);
      if (label === 'Relay') await screenshot(page, 'console-relay-empty');
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('without a login the console says how to sign in', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${server.url}/`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Open the login URL printed by fusebox serve/);
    assert.equal(await page.locator('.stat-card').count(), 0);
    await screenshot(page, 'console-signed-out');
    await context.close();
  });
});

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function adminToken(server) {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  return (await readFile(join(server.dataDir, 'admin.token'), 'utf8')).trim();
}
