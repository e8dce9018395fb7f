// End-to-end: an import submitted from the demo host app reaches the built-in
// sink through the relay (reshaped, params filled, the secret header in place),
// and the console's Relay pages show the destination, the request preview, the
// deliveries with their attempt log and the sink, driven by Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, importerFrame, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const contactsCSV = Buffer.from(
  ['First name,Last name,Email,Company,Plan,Seats', 'ada,Lovelace,ada@example.com,Analytical Engines,pro,3', 'grace,Hopper,grace@example.com,Navy,free,1', 'alan,Turing,alan@example.com,Bletchley,enterprise,12'].join('\n') + '\n',
  'utf8',
);

describe('relay', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  let token = '';

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    token = await adminToken(server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a demo import reaches the sink reshaped, with params and the secret header; the console shows it', async () => {
    const user = `u${Date.now()}`;
    const { page, errors } = await newPage(browser);

    // Import from the demo host app, as its user.
    await page.goto(`${server.url}/demo?user=${user}`);
    await page.getByLabel('Importer').selectOption('contacts');
    await page.getByRole('button', { name: 'Import data', exact: true }).click();
    const frame = importerFrame(page);
    await frame.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await frame.getByTestId('file-input').setInputFiles({ name: 'crm-contacts.csv', mimeType: 'text/csv', buffer: contactsCSV });
    await frame.getByRole('heading', { name: 'Choose the header row' }).waitFor();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Map your columns' }).waitFor();
    await frame.getByText('All required fields are mapped.').waitFor();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('heading', { name: 'Review and fix' }).waitFor({ timeout: 30_000 });
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Import 3 rows' }).click();
    await frame.getByRole('heading', { name: 'Import complete' }).waitFor({ timeout: 30_000 });

    // The relay delivered it to /sink/demo-crm.
    const sink = await until(async () => {
      const s = await api(server, token, 'GET', '/api/admin/relay/sinks/demo-crm');
      return s.requests.length > 0 && s;
    }, 'the demo import at the sink');
    const got = sink.requests[0];
    assert.equal(got.url, `/sink/demo-crm?user_id=${user}`, 'user_id from the session moved to the query');
    const headers = Object.fromEntries(got.headers);
    assert.equal(headers.Authorization, 'Bearer «secret FUSEBOX_DEMO_CRM_KEY»', 'the secret header arrived (shown masked)');
    assert.equal(headers['X-Import-Source'], 'fusebox-demo', 'the source param moved to a header');
    assert.match(headers['Webhook-Id'], /^msg_/);
    const records = JSON.parse(got.body);
    assert.equal(records.length, 3);
    assert.deepEqual(records[0].contact, { name: { first: 'Ada', last: 'Lovelace' }, email: 'ada@example.com', phone: null });
    assert.equal(records[0].account.plan, 'pro');
    assert.equal(records[0].source_file, 'crm-contacts.csv');
    assert.equal(records[0].user_id, undefined, 'param fields leave the body');

    // The console: destinations with their secrets (name and state only).
    await page.goto(server.urls.console);
    await page.getByTestId('version').waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Relay', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Relay' }).waitFor();
    const row = page.locator('tr[data-id="demo-crm"]');
    await row.waitFor();
    assert.match(await row.innerText(), /✓ FUSEBOX_DEMO_CRM_KEY/);
    await until(async () => /1 delivered/.test(await row.innerText()) || (await page.getByRole('button', { name: 'Refresh' }).click(), false), 'the delivery counted');
    await screenshot(page, 'relay-01-destinations');

    // The editor's preview of the exact outbound request, secret masked.
    await row.getByRole('link', { name: 'demo-crm' }).click();
    await page.getByRole('heading', { name: 'demo-crm' }).waitFor();
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('preview-request').first();
    await preview.waitFor();
    const previewText = await preview.innerText();
    assert.match(previewText, /POST http:\/\/127\.0\.0\.1:\d+\/sink\/demo-crm\?user_id=user-123/);
    assert.match(previewText, /Bearer «secret FUSEBOX_DEMO_CRM_KEY: set»/);
    assert.match(previewText, /"contact": \{/);
    await screenshot(page, 'relay-02-editor-preview');

    // Deliveries: the attempt log of the delivery.
    await page.getByRole('navigation', { name: 'Relay sections' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByLabel('Destination').selectOption('demo-crm');
    const delivery = page.locator('tbody tr.clickable').first();
    await delivery.waitFor();
    assert.match(await delivery.innerText(), /delivered/);
    await delivery.click();
    const panel = page.getByRole('complementary', { name: /Delivery \d+/ });
    await panel.waitFor();
    assert.match(await panel.locator('.rly-attempts').innerText(), /200/);
    await screenshot(page, 'relay-03-deliveries');

    // The sink viewer.
    await page.getByRole('navigation', { name: 'Relay sections' }).getByRole('link', { name: 'Sink' }).click();
    await page.getByLabel('Sink').selectOption('demo-crm');
    // Wait for the selected sink's requests: until its fetch lands, the list
    // still shows the sink that was selected before.
    const item = page.locator('.rly-sink li', { hasText: '/sink/demo-crm?' }).first();
    await item.waitFor();
    assert.match(await item.innerText(), new RegExp(`/sink/demo-crm\\?user_id=${user}`));
    // Credentials are masked by default; the admin reveals them (here: the server-masked value).
    assert.match(await item.innerText(), /Authorization\s+Bearer ••••••/);
    assert.doesNotMatch(await item.innerText(), /FUSEBOX_DEMO_CRM_KEY/);
    await screenshot(page, 'relay-04-sink');
    await item.getByRole('button', { name: 'Reveal credentials' }).click();
    await item.getByText(/«secret FUSEBOX_DEMO_CRM_KEY»/).first().waitFor();
    assert.match(await item.innerText(), /«secret FUSEBOX_DEMO_CRM_KEY»/);
    assert.deepEqual(errors, []);
  });

  test('the inbound relay refuses an outbound URL off the allowlist', async () => {
    const res = await fetch(`${server.url}/relay/demo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-Osmos-Outbound-Url': 'https://evil.example.com/collect' },
      body: JSON.stringify({ a: 1 }),
    });
    assert.equal(res.status, 403);
    const body = await res.json();
    assert.equal(body.error.code, 'EFORBIDDEN');
    assert.match(body.error.message, /not on the allowlist/);
  });
});
