// End-to-end: branding an importer in the console's importer editor, with the importer shown live
// beside the form (the embed in preview mode). A colour below 4.5:1 against white is refused with its
// ratio (the console's own check, and the server's), a logo is uploaded and shown, a title and a text
// override reach the preview as they are typed, and the saved definition carries the branding.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

// a 1×1 PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('console importer branding', () => {
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

  test('colour checked for contrast, logo, title and texts with a live preview; saved', async () => {
    const { context, page, errors } = await newPage(browser, { width: 1440, height: 900 });
    await page.goto(server.urls.console + '#/importers/contacts');
    const card = page.getByRole('region', { name: 'Branding' });
    await card.waitFor();
    const preview = page.frameLocator('[data-testid="importer-preview-frame"]');
    await preview.getByTestId('importer-preview').waitFor();
    await preview.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await preview.getByTestId('expected-email').waitFor();

    // The teal of the accessibility review is refused with its ratio; Save is off.
    const color = card.getByPlaceholder('#3b5bdb (default)');
    await color.fill('#0c8599');
    const check = card.getByTestId('color-check');
    await until(async () => /4\.35:1/.test(await check.innerText()), 'the contrast refusal');
    assert.match(await check.innerText(), /#0c8599 has a contrast ratio of 4\.35:1 with white .* at least 4\.5:1 is needed/);
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true);
    // the server says the same (the live check)
    await card.getByText(/branding\.primary_color: #0c8599 has a contrast ratio of 4\.35:1/).waitFor();

    // A darker teal passes and colours the preview's primary button at once.
    await color.fill('#0b7285');
    await until(async () => /5\.59:1 with white/.test(await check.innerText()), 'the ratio of the accepted colour');
    const choose = preview.getByRole('button', { name: 'Choose a file' });
    await until(async () => (await choose.evaluate((b) => getComputedStyle(b).backgroundColor)) === 'rgb(11, 114, 133)', 'the preview in the new colour');

    // A logo: a GIF is refused, a PNG is shown in the card and in the preview.
    await card.getByTestId('logo-input').setInputFiles({ name: 'logo.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') });
    await card.getByText('logo.gif is not a PNG, JPEG or SVG image').waitFor();
    await card.getByTestId('logo-input').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
    await card.getByTestId('logo-preview').waitFor();
    await preview.getByRole('img', { name: 'Logo' }).waitFor();

    // Title and a text override in German: the preview switches language and shows them as typed.
    await card.getByLabel('Language of the texts below').selectOption('de');
    await card.locator('label.ied-field:has(> span.ied-label:text-is("Title")) input').fill('Kontakte importieren');
    await card.locator('label.ied-field:has(> span.ied-label:text-is("upload.title")) input').fill('Ihre Kontaktliste hochladen');
    await preview.getByRole('heading', { name: 'Ihre Kontaktliste hochladen' }).waitFor();
    // (the header's title is hidden when the frame is narrow, as on phones: read its text)
    assert.equal(await preview.locator('.fbx-title').textContent(), 'Kontakte importieren');
    await preview.getByRole('button', { name: 'Datei auswählen' }).waitFor();
    await screenshot(page, 'console-branding-preview');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: (await screenshot(page, 'console-branding-preview')).replace(/\.png$/, '-viewport.png') });

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const def = await api(server, await adminToken(server), 'GET', '/api/admin/importers/contacts');
    assert.equal(def.branding.primary_color, '#0b7285');
    assert.match(def.branding.logo, /^data:image\/png;base64,/);
    assert.deepEqual(def.branding.title, { de: 'Kontakte importieren' });
    assert.deepEqual(def.branding.texts, { de: { 'upload.title': 'Ihre Kontaktliste hochladen' } });

    // The API refuses the failing colour too, with the ratio.
    const res = await fetch(`${server.url}/api/admin/importers/contacts`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${await adminToken(server)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...def, branding: { primary_color: '#0c8599' } }),
    });
    assert.equal(res.status, 422);
    assert.match(await res.text(), /4\.35:1/);

    const bad = errors.filter((e) => !/HTTP 422 POST .*\/api\/admin\/importers\/validate$|Failed to load resource: .* 422/.test(e));
    assert.deepEqual(bad, []);
    await context.close();
  });
});
