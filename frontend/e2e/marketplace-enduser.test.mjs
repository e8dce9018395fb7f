// End-to-end: the marketplace as an end user reads it on a phone (390x844). Alice installs an
// integration whose workflow opens a relay route; her imports (and Bob's, through his own install)
// are delivered to a receiver that refuses some records. Alice's activity shows exactly her
// deliveries (checked against SQL over the server's database file), in plain words, and she retries
// a failed one from her own view once the receiver accepts it. Bob's deliveries never appear.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, putImporter, secretKey, submitAndWait, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
function sign(claims, secret) {
  const signing = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${signing}.${createHmac('sha256', secret).update(signing).digest('base64url')}`;
}
function sql(dataDir, query) {
  const out = execFileSync('sqlite3', ['-readonly', '-separator', '\t', join(dataDir, 'fusebox.db'), query], { encoding: 'utf8' });
  return out.trim() === '' ? [] : out.trim().split('\n').map((l) => l.split('\t'));
}

describe('marketplace end user on a phone', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('node:http').Server} */
  let receiver;
  let refuse = true;
  let token = '';
  let mpSecret = '';
  let apiKey = '';

  const link = (externalId, plan) => {
    const now = Math.floor(Date.now() / 1000);
    return sign({ iat: now, exp: now + 600, nbf: now, orgId: 'e2e-org', user: { externalId, firstname: externalId, lastname: 'E2E', email: `${externalId}@example.com`, monetizationPlan: plan } }, mpSecret);
  };

  /** An import by end user `user` (session metadata user_id) of the given names, submitted. */
  async function importAs(user, names) {
    const sess = await api(server, apiKey, 'POST', '/api/v1/importer/sessions', { importer_slug: 'contacts', metadata: { user_id: user } }, { expect: [201] });
    const call = (method, path, body, opts) => api(server, sess.token, method, path, body, opts);
    const imp = await call('POST', '/api/importer/imports', { importer_slug: 'contacts' });
    const csv = ['Name,Email', ...names.map((n) => `${n},${n}@example.com`)].join('\n') + '\n';
    const up = await fetch(`${server.url}/api/importer/imports/${imp.slug}/file?name=${user}.csv`, {
      method: 'PUT', headers: { Authorization: `Bearer ${sess.token}`, 'Content-Type': 'text/csv' }, body: csv,
    });
    assert.equal(up.status, 200, await up.text());
    await call('PUT', `/api/importer/imports/${imp.slug}/mapping`, { columns: [{ index: 0, key: 'name' }, { index: 1, key: 'email' }] }, { expect: [202] });
    await until(async () => (await call('GET', `/api/importer/imports/${imp.slug}/progress`)).done, 'staging');
    const done = await submitAndWait(server, sess.token, imp.slug);
    assert.equal(done.status, 'completed');
  }

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const bad = refuse && body.includes('fail');
        res.writeHead(bad ? 400 : 200, { 'Content-Type': 'application/json' });
        res.end(bad ? '{"error":"receiver-private-detail"}' : '{"ok":true}');
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));

    server = await startServer({ args: ['--no-demo'] });
    token = await adminToken(server);
    const mp = (method, path, body) => api(server, token, method, `/api/admin/marketplace${path}`, body);
    await mp('PUT', '/settings', { org_id: 'e2e-org', title: 'Integrations' });
    await mp('PUT', '/plans/free', { name: 'free', default: true, max_integrations: 1, max_transactions: 1000, allowed_actions: ['install'], upgrade_message: 'Upgrade to Pro for more.' });
    await mp('PUT', '/plans/pro', { name: 'pro', max_integrations: 10, allowed_actions: ['install', 'customize'] });
    await mp('PUT', '/listings/crm', {
      id: 'crm', name: 'Acme CRM', category: 'CRM', summary: 'Your contacts, in Acme CRM.',
      workflow: [
        { kind: 'relay_route', name: 'Send your contacts', url: `http://127.0.0.1:${receiver.address().port}/contacts` },
        { kind: 'notify', name: 'Done', message: 'Your contacts will be sent to Acme CRM.' },
      ],
    });
    mpSecret = (await mp('POST', '/secrets', { label: 'e2e' })).secret;
    apiKey = await secretKey(server);
    await putImporter(server, { slug: 'contacts', name: 'Contacts', columns: [{ key: 'name', label: 'Name', required: true }, { key: 'email', label: 'Email', type: 'email' }] });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  test('plain install result, own activity only, retry of a failed delivery', async () => {
    // Bob installs through the API and imports too: his deliveries must never show for Alice.
    const res = await fetch(`${server.url}/api/marketplace/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: link('bob', 'pro') }) });
    const bob = JSON.parse(await res.text()).session;
    const bi = await fetch(`${server.url}/api/marketplace/installs`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Fusebox-Marketplace-Session': bob }, body: JSON.stringify({ listing_id: 'crm', config: {} }) });
    assert.equal(bi.status, 202, await bi.text());

    const { context, page, errors } = await newPage(browser, { width: 390, height: 844 });
    await page.goto(`${server.url}/marketplace/listing/crm?jwt=${link('alice', 'free')}`);
    await page.getByRole('heading', { level: 1, name: 'Acme CRM' }).waitFor();
    // What the plan allows, before any form.
    await page.getByTestId('plan-notice').getByText(/Your free plan allows up to 1 integration \(you have 0\)/).waitFor();
    await screenshot(page, 'marketplace-mobile-listing');
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await page.getByRole('form', { name: 'Install Acme CRM' }).getByRole('button', { name: 'Install' }).click();
    const progress = page.getByRole('region', { name: 'Installation progress' });
    await progress.and(page.locator('[data-status="installed"]')).waitFor({ timeout: 20_000 });
    await progress.getByRole('heading', { name: 'Connected to Acme CRM' }).waitFor();
    const result = await page.getByTestId('install-result').innerText();
    assert.match(result, /Your records will be sent to Acme CRM as soon as you import them\./);
    assert.match(result, /Your contacts will be sent to Acme CRM\./);
    const shown = await progress.innerText();
    assert.doesNotMatch(shown, /127\.0\.0\.1|relay_route|route-|inst_|\{"/, 'no URLs, step kinds, ids or bodies');
    await progress.locator('summary', { hasText: 'Details' }).click();
    await progress.getByText('Send your contacts').waitFor();
    await screenshot(page, 'marketplace-mobile-install-result');
    // The plan is now full: the listing says so before any form.
    await page.reload();
    await page.getByTestId('plan-notice').getByText('Your free plan allows 1 integration and you have 1. Upgrade to Pro for more.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Install again', exact: true }).isDisabled(), true);
    await screenshot(page, 'marketplace-mobile-plan-limit');

    await importAs('alice', ['a1', 'fail-a2', 'a3']);
    await importAs('bob', ['b1', 'fail-b2']);
    const settled = () => sql(server.dataDir, `SELECT count(*) FROM relay_deliveries WHERE status IN ('pending')`)[0][0] === '0'
      && Number(sql(server.dataDir, `SELECT count(*) FROM relay_deliveries`)[0][0]) === 5;
    await until(async () => settled(), 'deliveries settled', 30_000);

    const [aliceDest] = sql(server.dataDir, `SELECT i.destination_id FROM marketplace_installs i JOIN marketplace_end_users u ON u.id = i.end_user_id WHERE u.external_id = 'alice'`)[0];
    const aliceIDs = sql(server.dataDir, `SELECT id FROM relay_deliveries WHERE destination_id = '${aliceDest}' ORDER BY id`).map((r) => r[0]);
    const bobIDs = sql(server.dataDir, `SELECT d.id FROM relay_deliveries d JOIN marketplace_installs i ON i.destination_id = d.destination_id
      JOIN marketplace_end_users u ON u.id = i.end_user_id WHERE u.external_id = 'bob'`).map((r) => r[0]);
    assert.equal(aliceIDs.length, 3);
    assert.equal(bobIDs.length, 2);

    await page.goto(`${server.url}/marketplace/installed`);
    const row = page.locator('.mp-install').first();
    await row.getByRole('button', { name: 'Activity' }).click();
    const activity = row.getByTestId('activity');
    await activity.waitFor();
    const listed = await activity.locator('tr[data-delivery]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-delivery')).sort((a, b) => a - b));
    assert.deepEqual(listed, aliceIDs, 'exactly her deliveries');
    for (const id of bobIDs) assert.ok(!listed.includes(id), `bob's delivery ${id} is not listed`);
    assert.equal(await activity.getByTestId('success-rate').innerText(), '66.7%');
    assert.match(await activity.getByTestId('last-error').innerText(), /Last problem: The service answered 400 Bad Request/);
    assert.doesNotMatch(await activity.innerText(), /receiver-private-detail|127\.0\.0\.1/);
    await screenshot(page, 'marketplace-mobile-activity');

    // The receiver is fixed; Alice retries her failed delivery from her own view.
    refuse = false;
    const failed = activity.locator('tr[data-status="failed"]');
    const failedID = await failed.getAttribute('data-delivery');
    await failed.getByRole('button', { name: 'Retry' }).click();
    await until(async () => sql(server.dataDir, `SELECT status FROM relay_deliveries WHERE id = ${failedID}`)[0][0] === 'delivered', 'the retried delivery went through');
    await activity.getByRole('button', { name: 'Refresh' }).click();
    await activity.locator(`tr[data-delivery="${failedID}"][data-status="delivered"]`).waitFor();
    assert.equal(await activity.getByTestId('success-rate').innerText(), '100%');
    // Bob's failed delivery was not touched.
    assert.deepEqual(sql(server.dataDir, `SELECT status FROM relay_deliveries WHERE id IN (${bobIDs.join(',')}) ORDER BY id`).map((r) => r[0]).sort(), ['delivered', 'failed']);
    await screenshot(page, 'marketplace-mobile-activity-retried');

    // Uninstall asks in the page's own dialog (no native confirm).
    await row.getByRole('button', { name: 'Uninstall' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('Acme CRM stops receiving your records.').waitFor();
    await screenshot(page, 'marketplace-mobile-uninstall-confirm');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    assert.equal(await dialog.count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
