// End-to-end: the other built entries are served by the real binary: the demo
// host page and the SDK bundles a host page loads (ES module and UMD global).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('entries', () => {
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

  test('the printed demo URL renders the demo page', async () => {
    const { context, page, errors } = await newPage(browser);
    const res = await page.goto(server.urls['demo app']);
    assert.equal(res?.status(), 200);
    await page.getByRole('heading', { level: 1, name: 'Fusebox Demo App' }).waitFor();
    await screenshot(page, 'demo-page');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the importer SDK loads as an ES module and as a UMD global', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(server.urls['demo app']);
    const esm = await page.evaluate(async (url) => {
      const mod = await import(url);
      return new mod.default({ baseUrl: 'http://fusebox.test/' }).embedUrl();
    }, server.urls['importer sdk']);
    assert.equal(esm, 'http://fusebox.test/embed/importer');

    await page.addScriptTag({ url: `${server.url}/sdk/importer.umd.js` });
    const umd = await page.evaluate(() => {
      const C = /** @type {any} */ (window).FuseboxImporter;
      return typeof C === 'function' ? new C().embedUrl() : `FuseboxImporter is ${typeof C}`;
    });
    assert.equal(umd, `${server.url}/embed/importer`);

    const market = await page.evaluate(async (url) => {
      const mod = await import(url);
      return new mod.default().embedUrl('a.b.c');
    }, `${server.url}/sdk/marketplace.js`);
    assert.equal(market, `${server.url}/marketplace?jwt=a.b.c`);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
