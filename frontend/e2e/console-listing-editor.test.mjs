// End-to-end: a marketplace listing made entirely through the console's form (no JSON typed): name,
// category, summary, an uploaded SVG logo (a GIF refused first), a Markdown description with its
// live preview, a config field and two workflow steps. A placeholder typo comes back from the server
// next to the step it concerns; fixed, the listing saves, and an end user who signs in to the
// marketplace sees the uploaded logo and the rendered Markdown. The Advanced (JSON) tab follows the
// form and the form follows it; invalid JSON keeps you on the tab. Leaving with unsaved edits asks:
// a console link (the styled dialog) and closing the tab (the browser's prompt). A listing whose
// logo is an old data: address still shows it, and one click stores it on the server.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
function sign(claims, secret) {
  const signing = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${signing}.${createHmac('sha256', secret).update(signing).digest('base64url')}`;
}

const LOGO_SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><rect width="48" height="48" rx="12" fill="#e8590c"/>' +
    '<path d="M24 11a9 9 0 0 0-9 9v7l-3 5h24l-3-5v-7a9 9 0 0 0-9-9zm-4 23a4 4 0 0 0 8 0z" fill="#fff"/></svg>',
);
const OLD_LOGO =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 48 48'%3E%3Crect width='48' height='48' rx='12' fill='%231c7ed6'/%3E%3C/svg%3E";

const DESCRIPTION = [
  '## Alerts for every import',
  '',
  'Posts a **message** to your channel when an import *finishes*.',
  '',
  '- one alert per import',
  '- pause it any time',
].join('\n');

describe('console listing editor', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  let token = '';
  let secret = '';

  before(async () => {
    server = await startServer({ args: ['--no-demo'] });
    token = await adminToken(server);
    await api(server, token, 'PUT', '/api/admin/marketplace/settings', { org_id: 'e2e-org', title: 'Integrations' });
    secret = (await api(server, token, 'POST', '/api/admin/marketplace/secrets', { label: 'e2e' })).secret;
    await api(server, token, 'PUT', '/api/admin/marketplace/listings/legacy', {
      id: 'legacy', name: 'Legacy CRM', category: 'CRM', logo: OLD_LOGO, summary: 'Has an embedded logo.', description: 'Old listing.',
      workflow: [{ kind: 'notify', name: 'Done', message: 'Connected.' }],
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A console page signed in with the admin token (the printed login link works once). */
  async function openConsole(hash, viewport) {
    const opened = await newPage(browser, viewport);
    await opened.context.setExtraHTTPHeaders({ Authorization: `Bearer ${token}` });
    await opened.page.goto(`${server.url}/${hash}`);
    return opened;
  }

  const field = (scope, label) => scope.locator(`label.lf-field:has(> span.lf-label:text-is("${label}"))`).locator('input, textarea, select').first();

  test('a listing made through the form is what the end user sees', async () => {
    const { context, page, errors } = await openConsole('#/marketplace/listings');
    await page.getByRole('link', { name: 'New listing' }).click();
    const editor = page.getByTestId('listing-editor');
    await editor.waitFor();

    await field(editor, 'Name').fill('Acme Alerts');
    assert.equal(await field(editor, 'Listing ID').inputValue(), 'acme-alerts');
    await field(editor, 'Category').fill('Notifications');
    await field(editor, 'Summary').fill('A message in your channel for every import.');

    // Logo: a GIF is refused with the reason; an SVG is stored on the server and shown.
    const logoInput = editor.getByTestId('logo-input');
    await logoInput.setInputFiles({ name: 'anim.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a\x01\x00\x01\x00') });
    await editor.getByTestId('logo-error').getByText('anim.gif is not a PNG, JPEG, WebP or SVG image').waitFor();
    await logoInput.setInputFiles({ name: 'bell.svg', mimeType: 'image/svg+xml', buffer: LOGO_SVG });
    const preview = editor.getByTestId('logo-preview').first();
    await until(async () => /^\/marketplace\/logos\/[0-9a-f]{64}\.svg$/.test((await preview.getAttribute('src')) ?? ''), 'the stored logo in the form');
    const logoURL = await preview.getAttribute('src');
    await until(async () => (await preview.evaluate((img) => img.naturalWidth)) > 0, 'the logo image loaded');

    // Markdown with its live preview (the marketplace's own renderer).
    await field(editor, 'Description (Markdown)').fill(DESCRIPTION);
    const md = editor.getByRole('region', { name: 'Description preview' });
    await md.getByRole('heading', { name: 'Alerts for every import' }).waitFor();
    await md.locator('strong', { hasText: 'message' }).waitFor();
    assert.equal(await md.locator('li').count(), 2);

    // A config field.
    await editor.getByRole('button', { name: 'Add field' }).click();
    const f0 = editor.locator('[data-field-index="0"]');
    await field(f0, 'Field name').fill('channel');
    await field(f0, 'Label').fill('Channel');
    await field(f0, 'Default value').fill('general');
    await field(f0, 'Help text').fill('Where the alerts go.');
    await f0.getByLabel('Required').check();

    // Two steps: an HTTP request (with a placeholder typo) and a message.
    await editor.getByRole('button', { name: 'Add an HTTP request step' }).click();
    const s0 = editor.locator('[data-step-index="0"]');
    await field(s0, 'Step name').fill('Check the channel');
    await field(s0, 'Method').selectOption('POST');
    await field(s0, 'URL').fill('{{fusebox.base_url}}/sink/{{config.chanel}}');
    await field(s0, 'Body (JSON)').fill('{"user": "{{user.externalId}}"}');
    await editor.getByRole('button', { name: 'Add a message step' }).click();
    const s1 = editor.locator('[data-step-index="1"]');
    await field(s1, 'Step name').fill('Done');
    await field(s1, 'Message').fill('Alerts go to {{config.channel}}.');
    await screenshot(page, 'console-listing-editor-form');

    // The server refuses the typo; its message stands in the step it concerns.
    await editor.getByRole('button', { name: 'Save listing' }).click();
    await s0.locator('label.lf-field.invalid:has(> span.lf-label:text-is("URL")) .field-error', { hasText: 'placeholder {{config.chanel}} names no config field' }).waitFor();
    assert.equal(await field(s0, 'URL').getAttribute('aria-invalid'), 'true');
    assert.equal(await s1.locator('.field-error').count(), 0);
    await page.screenshot({ path: (await screenshot(page, 'console-listing-editor-error')).replace(/\.png$/, '-viewport.png') });
    await field(s0, 'URL').fill('{{fusebox.base_url}}/sink/{{config.channel}}');
    await editor.getByRole('button', { name: 'Save listing' }).click();
    await editor.getByRole('status').getByText('Saved.').waitFor();
    await until(async () => page.url().endsWith('#/marketplace/listings/acme-alerts'), 'the address of the saved listing');

    const saved = await api(server, token, 'GET', '/api/admin/marketplace/listings');
    const l = saved.listings.find((x) => x.id === 'acme-alerts');
    assert.equal(l.logo, logoURL);
    assert.equal(l.description, DESCRIPTION);
    assert.deepEqual(l.config_fields.map((f) => [f.name, f.label, f.required, f.default]), [['channel', 'Channel', true, 'general']]);
    assert.deepEqual(l.workflow.map((s) => [s.kind, s.name]), [['http_request', 'Check the channel'], ['notify', 'Done']]);
    assert.deepEqual(l.workflow[0].body, { user: '{{user.externalId}}' });

    // The JSON tab shows the form's listing; an edit there shows in the form; invalid JSON keeps you there.
    await editor.getByRole('tab', { name: 'Advanced (JSON)' }).click();
    const json = editor.getByRole('textbox', { name: 'Listing JSON' });
    const shown = JSON.parse(await json.inputValue());
    assert.equal(shown.logo, logoURL);
    await json.fill(JSON.stringify({ ...shown, summary: 'Alerts for every import, in your channel.' }, null, 2));
    await editor.getByRole('tab', { name: 'Form' }).click();
    assert.equal(await field(editor, 'Summary').inputValue(), 'Alerts for every import, in your channel.');
    await editor.getByRole('tab', { name: 'Advanced (JSON)' }).click();
    await json.fill('{"id": "acme-alerts",}');
    await editor.getByRole('tab', { name: 'Form' }).click();
    await editor.getByTestId('json-blocked').getByText(/Fix the JSON to go back to the form: The JSON is not valid at line 1/).waitFor();
    await screenshot(page, 'console-listing-editor-json-blocked');
    await json.fill(JSON.stringify({ ...shown, summary: 'Alerts for every import, in your channel.' }, null, 2));
    await editor.getByRole('tab', { name: 'Form' }).click();
    await editor.getByRole('button', { name: 'Save listing' }).click();
    await editor.getByRole('status').getByText('Saved.').waitFor();
    // The catalog list shows the stored logo.
    await page.getByRole('link', { name: '← All listings' }).click();
    const row = page.locator('tr[data-listing="acme-alerts"]');
    assert.equal(await row.locator('img').getAttribute('src'), logoURL);
    await screenshot(page, 'console-listing-list');
    assert.deepEqual(errors.filter((e) => !/HTTP 422 PUT .*\/listings\/acme-alerts|status of 422/.test(e)), []);
    await context.close();

    // The end user: signed in through a signed link, on a phone and on a desktop.
    const now = Math.floor(Date.now() / 1000);
    const jwt = sign({ iat: now, exp: now + 600, nbf: now, orgId: 'e2e-org', user: { externalId: 'u-1', firstname: 'Ada', lastname: 'L', email: 'ada@example.com' } }, secret);
    for (const [w, h, name] of [[390, 844, 'marketplace-listing-from-form-phone'], [1280, 800, 'marketplace-listing-from-form']]) {
      const user = await newPage(browser, { width: w, height: h });
      await user.page.goto(`${server.url}/marketplace/listing/acme-alerts?jwt=${jwt}`);
      await user.page.getByRole('heading', { level: 1, name: 'Acme Alerts' }).waitFor();
      const img = user.page.locator('.mp-listing-head img');
      assert.equal(await img.getAttribute('src'), logoURL);
      await until(async () => (await img.evaluate((i) => i.naturalWidth)) > 0, 'the logo shows in the marketplace');
      const body = user.page.locator('.mp-markdown');
      await body.getByRole('heading', { name: 'Alerts for every import' }).waitFor();
      assert.equal(await body.locator('strong').first().innerText(), 'message');
      assert.equal(await body.locator('em').first().innerText(), 'finishes');
      assert.equal(await body.locator('li').count(), 2);
      assert.ok(!(await body.innerText()).includes('**'), 'no raw Markdown');
      await screenshot(user.page, name);
      assert.deepEqual(user.errors, []);
      await user.context.close();
    }
  });

  test('leaving with unsaved edits asks: a console link, and closing the tab', async () => {
    const { context, page, errors } = await openConsole('#/marketplace/listings');
    await page.locator('tr[data-listing="legacy"]').getByRole('link', { name: 'Edit' }).click();
    const editor = page.getByTestId('listing-editor');
    await editor.waitFor();
    await field(editor, 'Summary').fill('Edited, not saved.');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard', exact: true }).click();
    const ask = page.getByRole('alertdialog', { name: 'Leave without saving?' });
    await ask.waitFor();
    await screenshot(page, 'console-listing-editor-unsaved');
    await ask.getByRole('button', { name: 'Stay' }).click();
    assert.match(page.url(), /#\/marketplace\/listings\/legacy$/);
    assert.equal(await field(editor, 'Summary').inputValue(), 'Edited, not saved.');
    // "← All listings", the browser's Back and the editor's Close (it sets the address) ask too.
    await page.getByRole('link', { name: '← All listings' }).click();
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Stay' }).click();
    await page.evaluate(() => history.back());
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Stay' }).click();
    assert.match(page.url(), /#\/marketplace\/listings\/legacy$/);
    await editor.getByRole('button', { name: 'Close' }).click();
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Stay' }).click();
    assert.match(page.url(), /#\/marketplace\/listings\/legacy$/);
    assert.equal(await field(editor, 'Summary').inputValue(), 'Edited, not saved.');

    // Closing the tab: the browser's own prompt; dismissed, the page stays with the edit.
    const dialog = page.waitForEvent('dialog');
    await page.close({ runBeforeUnload: true });
    const d = await dialog;
    assert.equal(d.type(), 'beforeunload');
    await d.dismiss();
    assert.equal(page.isClosed(), false);
    assert.equal(await field(editor, 'Summary').inputValue(), 'Edited, not saved.');

    // Leave: the dialog's Leave goes.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard', exact: true }).click();
    await ask.getByRole('button', { name: 'Leave' }).click();
    await until(async () => !page.url().includes('/marketplace/'), 'the dashboard');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('an old data: logo still shows, and is stored on the server with one click; the editor on a phone', async () => {
    const { context, page, errors } = await openConsole('#/marketplace/listings/legacy', { width: 390, height: 844 });
    const editor = page.getByTestId('listing-editor');
    const logo = editor.getByTestId('logo-preview').first();
    await logo.waitFor();
    assert.equal(await logo.getAttribute('src'), OLD_LOGO);
    await until(async () => (await logo.evaluate((i) => i.naturalWidth)) > 0, 'the data: logo shows');
    await page.screenshot({ path: (await screenshot(page, 'console-listing-editor-phone')).replace(/\.png$/, '-viewport.png') });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the editor fits the phone (page is ${width} px wide)`);

    await editor.getByRole('button', { name: 'Store on the server' }).click();
    await until(async () => /^\/marketplace\/logos\/[0-9a-f]{64}\.svg$/.test((await logo.getAttribute('src')) ?? ''), 'the logo stored as a file');
    await editor.getByRole('button', { name: 'Save listing' }).click();
    await editor.getByRole('status').getByText('Saved.').waitFor();
    const l = await api(server, token, 'GET', '/api/marketplace/listings/legacy');
    const stored = l.listing?.logo ?? l.logo;
    assert.match(stored, /^\/marketplace\/logos\/[0-9a-f]{64}\.svg$/);
    const res = await fetch(server.url + stored);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await res.text(), /^<svg xmlns='http:\/\/www.w3.org\/2000\/svg'/);
    // The list fits the phone too (the table scrolls inside its box).
    await page.getByRole('link', { name: '← All listings' }).click();
    await page.locator('tr[data-listing="legacy"]').waitFor();
    const listWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(listWidth <= 390, `the list fits the phone (page is ${listWidth} px wide)`);
    await screenshot(page, 'console-listing-list-phone');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
