// End-to-end: the console's importer editor and Settings against the real binary. Log in, open
// Importers, edit the demo "contacts" importer (label change survives a reload), create an importer
// whose regex does not compile (the error is shown at that validation), fix and create it, then
// export the workspace from Settings and find the new importer in the YAML; apply a broken and a
// good workspace file; delete an importer from the list.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot as save } from './lib/browser.mjs';
import { adminToken, api as call, submitAndWait, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

/** A form field of the editor by its label text (the <label class="ied-field"> wrapping it). */
function field(scope, label, control = 'input') {
  return scope.locator(`label.ied-field:has(> span.ied-label:text-is("${label}")) ${control}`).first();
}

// 422s the test causes on purpose: live checks of an invalid draft, the refused save, the bad file.
const expected = [
  /HTTP 422 POST .*\/api\/admin\/importers\/validate$/,
  /HTTP 422 POST .*\/api\/admin\/importers$/,
  /HTTP 422 POST .*\/api\/admin\/workspace(\?.*)?$/,
  /^console\.error: Failed to load resource: .* 422 .*\/api\/admin\/(importers\/validate|importers|workspace(\?.*)?)\)$/,
];
/** Full-page screenshot from the top (the sticky bars stay in place). */
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  return save(page, name);
}

const unexpected = (errors) => errors.filter((e) => !expected.some((re) => re.test(e)));

describe('console importers and settings', () => {
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

  test('edit contacts, create an importer (bad regex named), export and apply the workspace', async () => {
    const { context, page, errors } = await newPage(browser, { width: 1280, height: 900 });
    await page.goto(server.urls.console);
    await page.getByRole('link', { name: 'Importers', exact: true }).click();

    // The demo importer is listed with its column count and policy.
    const row = page.locator('tr[data-slug="contacts"]');
    await row.waitFor();
    assert.match(await row.innerText(), /Contacts/);
    const before = await (await context.request.get(`${server.url}/api/admin/importers/contacts`)).json();
    assert.match(await row.innerText(), new RegExp(`\\b${before.columns.length} ·`));
    assert.match(await row.innerText(), /block/);
    await screenshot(page, 'console-importers-list');

    // Edit: change the email column's label and save.
    await row.getByRole('link', { name: 'Edit' }).click();
    const email = page.locator('section.ied-col[data-column="email"]');
    await email.waitFor();
    assert.equal(await field(email, 'Label').inputValue(), 'Email');
    assert.equal(await field(page, 'Slug').isDisabled(), true, 'the slug is fixed after create');
    await field(email, 'Label').fill('Work email address');
    await page.getByText('Definition is valid').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    await screenshot(page, 'console-importer-editor');

    // Persisted: a reload shows it, and so does the API.
    await page.reload();
    await page.locator('section.ied-col[data-column="email"]').waitFor();
    assert.equal(await field(page.locator('section.ied-col[data-column="email"]'), 'Label').inputValue(), 'Work email address');
    const api = await context.request.get(`${server.url}/api/admin/importers/contacts`);
    const saved = await api.json();
    assert.equal(saved.columns.find((c) => c.key === 'email').label, 'Work email address');
    assert.deepEqual(saved.columns.map((c) => c.key), before.columns.map((c) => c.key), 'the other columns are kept');

    // The YAML tab shows the definition as the workspace file holds it.
    await page.getByRole('tab', { name: 'YAML' }).click();
    const yaml = await page.getByTestId('importer-yaml').innerText();
    assert.match(yaml, /^importers:\n {2}- slug: contacts\n/);
    assert.match(yaml, /label: Work email address/);
    // ... exactly: applying it as a workspace file changes nothing.
    const reapply = await context.request.post(`${server.url}/api/admin/workspace`, { data: yaml, headers: { 'Content-Type': 'text/yaml' } });
    assert.equal(reapply.status(), 200, await reapply.text());
    assert.deepEqual((await reapply.json()).changes, []);
    await page.getByRole('tab', { name: 'Editor' }).click();

    // Create an importer whose regex does not compile: the error sits at that validation.
    await page.goto(`${server.url}/#/importers`);
    await page.locator('tr[data-slug="contacts"]').waitFor();
    await page.getByRole('link', { name: 'New importer' }).click();
    await field(page, 'Name').fill('Leads');
    await field(page, 'Slug').fill('leads');
    const col = page.locator('section.ied-col').first();
    await field(col, 'Key').fill('code');
    await field(col, 'Label').fill('Code');
    await col.getByRole('button', { name: '+ Validation' }).click();
    const validation = col.locator('[data-validation="0"]');
    await validation.getByLabel('Validation', { exact: true }).selectOption('regex');
    await validation.getByLabel('Validation value').fill('([A-Z');
    const regexError = validation.locator('.field-error');
    await regexError.waitFor();
    assert.match(await regexError.innerText(), /validations\[0\]\.regex: invalid regex "\(\[A-Z"/);
    assert.match(await page.locator('.ied-status').innerText(), /1 problem/);
    await screenshot(page, 'console-importer-invalid-regex');

    // Saving anyway is refused and names the column and field.
    await page.getByRole('button', { name: 'Create importer' }).click();
    const notSaved = page.locator('.ied-save-error');
    await notSaved.waitFor();
    assert.match(await notSaved.innerText(), /column "code": validations\[0\]\.regex/);
    assert.equal((await context.request.get(`${server.url}/api/admin/importers/leads`)).status(), 404);

    // Fixed, it is created and the editor moves to its address.
    await validation.getByLabel('Validation value').fill('^[A-Z]+$');
    await page.getByText('Definition is valid').waitFor();
    await page.getByRole('button', { name: 'Create importer' }).click();
    await page.waitForURL(/#\/importers\/leads$/);
    await page.locator('section.ied-col[data-column="code"]').waitFor();
    assert.equal(await field(page, 'Slug').isDisabled(), true);

    // Its imports page exists (empty).
    await page.locator('.page-actions').getByRole('link', { name: 'Imports', exact: true }).click();
    await page.waitForURL(/#\/importers\/leads\/imports$/);
    await page.getByRole('heading', { name: 'Imports of leads' }).waitFor();
    await page.getByText('No imports yet.').waitFor();

    // A real import of it (the embed API as admin), then its records in the console.
    const token = await adminToken(server);
    const imp = await call(server, token, 'POST', '/api/importer/imports', { importer_slug: 'leads' });
    const up = await fetch(`${server.url}/api/importer/imports/${imp.slug}/file?name=leads.csv`, {
      method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body: 'Code\nABC\nXYZ\n',
    });
    assert.equal(up.status, 200, await up.text());
    await call(server, token, 'PUT', `/api/importer/imports/${imp.slug}/mapping`, { columns: [{ index: 0, key: 'code' }] }, { expect: [202] });
    await until(async () => (await call(server, token, 'GET', `/api/importer/imports/${imp.slug}/progress`)).done, 'staging');
    const done = await submitAndWait(server, token, imp.slug);
    assert.equal(done.status, 'completed');
    await page.reload();
    const importRow = page.locator(`tr[data-import="${imp.slug}"]`);
    await importRow.waitFor();
    assert.match(await importRow.innerText(), /completed\s+2\s+leads\.csv/);
    await importRow.getByRole('link').click();
    const records = page.getByRole('region', { name: 'Records' });
    await records.waitFor();
    await records.getByText('2 records').waitFor();
    assert.deepEqual(await records.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.lastElementChild?.textContent)), ['ABC', 'XYZ']);
    await screenshot(page, 'console-importer-imports');

    // Settings: server facts and the exported workspace with the new importer.
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const facts = page.getByTestId('server-facts');
    await facts.waitFor();
    assert.match(await facts.innerText(), new RegExp(server.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(await facts.innerText(), /Schema version\s+\d+/);
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const exported = await page.getByTestId('workspace-yaml').innerText();
    assert.match(exported, /- slug: leads\n\s+name: Leads/);
    assert.match(exported, /label: Work email address/);
    assert.match(exported, /value: "?\^\[A-Z\]\+\$"?/);

    // Apply: a broken file changes nothing and says where; a good one lists its changes.
    const box = page.getByRole('textbox', { name: 'Workspace file' });
    await box.fill('version: 1\nimporters:\n  - slug: broken\n    name: Broken\n    colour: red\n    columns: [{key: a, label: A}]\n');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const failure = page.locator('.notice-error', { hasText: 'Not applied.' });
    await failure.waitFor();
    assert.match(await failure.innerText(), /\[5:5\].*colour/s);
    assert.equal((await context.request.get(`${server.url}/api/admin/importers/broken`)).status(), 404);
    await screenshot(page, 'console-settings-apply-error');

    await box.fill('importers:\n  - slug: tags\n    name: Tags\n    columns:\n      - {key: tag, label: Tag, type: string}\n');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const changes = page.getByRole('status', { name: 'Changes' });
    await changes.waitFor();
    assert.match(await changes.innerText(), /created importer tags/);
    await screenshot(page, 'console-settings');

    // Delete from the list (after a confirmation): the applied importer goes away.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Importers', exact: true }).click();
    const tags = page.locator('tr[data-slug="tags"]');
    await tags.waitFor();
    await tags.getByRole('button', { name: 'Delete Tags' }).click();
    const ask = page.getByRole('alertdialog', { name: 'Delete the importer "tags"?' });
    await ask.getByText('Its imports are deleted with it.').waitFor();
    await screenshot(page, 'console-confirm-dialog');
    await ask.getByRole('button', { name: 'Delete importer' }).click();
    await tags.waitFor({ state: 'detached' });
    assert.equal((await context.request.get(`${server.url}/api/admin/importers/tags`)).status(), 404);
    assert.equal(await page.locator('tr[data-slug="leads"]').count(), 1);

    assert.deepEqual(unexpected(errors), []);
    await context.close();
  });
});
