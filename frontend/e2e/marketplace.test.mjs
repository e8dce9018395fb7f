// End-to-end: the marketplace embedded by a host page on ANOTHER origin. Fusebox listens on
// 127.0.0.1:<port>; the host page is served by node on localhost:<port2> (a different site as far as
// the browser is concerned). The test plays the host app's backend: it signs APIFuse-style HS256
// tokens with a marketplace API secret, exactly as the seed page describes, and checks the events the
// iframe posts: JSON strings, from the marketplace's origin, in order.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Signs a token the way a host app's backend does (jsonwebtoken's HS256). */
function sign(claims, secret, header = { alg: 'HS256', typ: 'JWT' }) {
  const signing = `${b64(header)}.${b64(claims)}`;
  return `${signing}.${createHmac('sha256', secret).update(signing).digest('base64url')}`;
}

function claimsFor(orgId, user, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { iat: now, exp: now + 600, nbf: now, orgId, user, ...extra };
}

/** The host app: one page that embeds the marketplace with /sdk/marketplace.js. */
function hostPage(fusebox) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Host app</title></head>
<body style="font-family:system-ui;margin:0;background:#f4f5f7">
<header style="padding:12px 20px;background:#14213d;color:#fff">Host app (another origin) — Integrations</header>
<div id="market" style="height:760px;margin:16px;background:#fff;border:1px solid #ddd"></div>
<script type="module">
  window.__raw = [];
  window.__events = [];
  // Every message this page gets, raw, to check what the iframe really posts.
  window.addEventListener('message', (e) => window.__raw.push({ origin: e.origin, type: typeof e.data, data: e.data }));
  const { default: FuseboxMarketplace } = await import(${JSON.stringify(fusebox + '/sdk/marketplace.js')});
  const params = new URLSearchParams(location.search);
  const market = new FuseboxMarketplace({ baseUrl: ${JSON.stringify(fusebox)} });
  window.__embed = market.mount({
    container: '#market',
    jwt: params.get('jwt') || undefined,
    listingId: params.get('listing') || undefined,
    height: '100%',
    onEvent: (ev) => window.__events.push(ev),
  });
</script></body></html>`;
}

describe('marketplace embedded on another origin', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('node:http').Server} */
  let host;
  let hostOrigin = '';
  let token = '';
  let secret = '';
  const hits = [];
  const orgId = 'e2e-org';

  async function admin(method, path, body) {
    const res = await fetch(`${server.url}/api/admin/marketplace${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  before(async () => {
    host = createServer((req, res) => {
      if (req.url?.startsWith('/hook')) {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          hits.push({ method: req.method, url: req.url, body });
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"ok":true}');
        });
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(hostPage(server.url));
    });
    await new Promise((r) => host.listen(0, 'localhost', r));
    hostOrigin = `http://localhost:${host.address().port}`;

    server = await startServer({ args: ['--no-demo'] });
    token = (await readFile(join(server.dataDir, 'admin.token'), 'utf8')).trim();
    await admin('PUT', '/settings', { org_id: orgId, title: 'Host Integrations', embed_origins: [hostOrigin] });
    await admin('PUT', '/plans/free', {
      name: 'free', default: true, max_integrations: 1, max_transactions: 100, allowed_actions: ['install'],
      upgrade_message: 'Upgrade to Pro to add more integrations.',
    });
    await admin('PUT', '/plans/pro', { name: 'pro', max_integrations: 10, allowed_actions: ['install', 'customize'] });
    const hook = `${hostOrigin}/hook`;
    await admin('PUT', '/listings/webhook', {
      id: 'webhook', name: 'Webhook', category: 'Developer tools', summary: 'Post imports to an endpoint.',
      description: '## Send imports anywhere\n\nPosts **every** import as JSON.\n\n- retries\n- pause any time',
      config_fields: [{ name: 'channel', label: 'Channel', type: 'select', options: ['general', 'ops'], default: 'general' }],
      workflow: [
        { kind: 'http_request', name: 'Send a test event', method: 'POST', url: `${hook}/{{config.channel}}`, body: { user: '{{user.externalId}}' } },
        { kind: 'notify', name: 'Done', message: 'Posting to {{config.channel}}.' },
      ],
    });
    await admin('PUT', '/listings/crm', {
      id: 'crm', name: 'Acme CRM', category: 'CRM', summary: 'Create contacts from rows.', connector_id: 'crm-v1',
      description: 'Contacts straight into your CRM.',
      config_fields: [{ name: 'api_key', label: 'API key', type: 'password', required: true }],
      workflow: [{ kind: 'http_request', name: 'Test the connection', url: `${hook}/crm`, headers: { Authorization: 'Bearer {{config.api_key}}' } }],
    });
    secret = (await admin('POST', '/secrets', { label: 'e2e' })).secret;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((r) => host?.close(r));
  });

  /** Opens the host page and returns the marketplace frame once it is ready. */
  async function openHost(page, query = '') {
    await page.goto(`${hostOrigin}/${query}`);
    await page.waitForFunction(() => window.__events?.some((e) => e.id === 'ready'), null, { timeout: 15_000 });
    const frame = page.frames().find((f) => f.url().startsWith(server.url + '/marketplace'));
    assert.ok(frame, 'the marketplace iframe is on the page');
    return frame;
  }

  const events = (page) => page.evaluate(() => window.__events.map((e) => ({ ...e })));
  const raw = (page) => page.evaluate(() => window.__raw.map((e) => ({ ...e })));
  // Refusals the tests provoke on purpose (and the console lines Chromium logs for them).
  const unexpected = (errors, allowed) => errors.filter((e) => !allowed.some((re) => re.test(e)));
  const expected4xx = (errors) => unexpected(errors, [/\b(401|403)\b.*\/api\/marketplace\/installs/]);

  test('anonymous users browse, and installing asks the host to sign them in', async () => {
    const { context, page, errors } = await newPage(browser);
    const frame = await openHost(page);
    await frame.locator('.mp-card[data-listing="webhook"]').waitFor();
    await screenshot(page, 'marketplace-catalog-anonymous');
    await frame.locator('.mp-card[data-listing="webhook"]').click();
    await frame.getByRole('heading', { level: 1, name: 'Webhook' }).waitFor();
    await frame.getByRole('button', { name: 'Install' }).click();
    await page.waitForFunction(() => window.__events.some((e) => e.id === 'user_login_required'));
    await frame.getByText('Sign in to install integrations').waitFor();
    const evs = await events(page);
    assert.deepEqual(evs.map((e) => e.id), ['ready', 'user_listing_click', 'user_login_required']);
    assert.equal(evs[2].targetUrl, `${server.url}/marketplace/listing/webhook`);
    assert.deepEqual(expected4xx(errors), []);
    await context.close();
  });

  test('signed login, click, install, then the plan limit: events in order, as JSON strings, from the marketplace origin', async () => {
    const { context, page, errors } = await newPage(browser);
    const jwt = sign(
      claimsFor(orgId, { externalId: 'host-user-7', firstname: 'Grace', lastname: 'Hopper', email: 'grace@host.example', monetizationPlan: 'free' }, {
        connection: { connectionName: 'Grace CRM', connectorId: 'crm-v1', api_key: 'sk-grace-secret' },
      }),
      secret,
    );
    const frame = await openHost(page, `?jwt=${jwt}`);
    // The token is gone from the iframe's address after login, and the user is known.
    await frame.getByTestId('mp-user').getByText('Grace Hopper').waitFor();
    assert.ok(!frame.url().includes('jwt='), `the iframe URL still has the token: ${frame.url()}`);
    // A marketplace token is no importer session (other key, other audience).
    const asImporter = await fetch(`${server.url}/api/importer/importer`, { headers: { Authorization: `Bearer ${jwt}` } });
    assert.equal(asImporter.status, 401);
    await frame.locator('.mp-card').first().waitFor();

    // Search and categories.
    await frame.getByRole('searchbox', { name: 'Search integrations' }).fill('contacts');
    await frame.locator('.mp-card[data-listing="webhook"]').waitFor({ state: 'detached' });
    await frame.getByRole('searchbox', { name: 'Search integrations' }).fill('');
    await frame.getByRole('button', { name: /^CRM/ }).click();
    await frame.locator('.mp-card[data-listing="webhook"]').waitFor({ state: 'detached' });
    await frame.getByRole('button', { name: /^All/ }).click();
    await frame.locator('.mp-card[data-listing="webhook"]').waitFor();
    await screenshot(page, 'marketplace-catalog');

    await frame.locator('.mp-card[data-listing="webhook"]').click();
    await frame.getByRole('heading', { level: 1, name: 'Webhook' }).waitFor();
    await frame.locator('.mp-markdown strong', { hasText: 'every' }).waitFor();
    await screenshot(page, 'marketplace-listing');
    await frame.getByRole('button', { name: 'Install' }).click();
    const form = frame.getByRole('form', { name: 'Install Webhook' });
    await form.waitFor();
    // The free plan cannot customize: the preset channel is locked.
    assert.equal(await form.locator('#f-channel').isDisabled(), true);
    await screenshot(page, 'marketplace-wizard');
    await form.getByRole('button', { name: 'Install' }).click();
    const progress = frame.getByRole('region', { name: 'Installation progress' });
    await progress.and(frame.locator('[data-status="installed"]')).waitFor({ timeout: 15_000 });
    await frame.getByText('Posting to general.').waitFor();
    await screenshot(page, 'marketplace-install-complete');
    assert.equal(hits.length, 1);
    assert.equal(hits[0].url, '/hook/general');
    assert.deepEqual(JSON.parse(hits[0].body), { user: 'host-user-7' });

    // The result in plain words; the steps only behind Details, without requests or answers.
    assert.match(await frame.getByRole('heading', { name: 'Connected to Webhook' }).innerText(), /Connected to Webhook/);
    const details = frame.locator('.mp-details');
    assert.equal(await details.locator('.mp-step-name').first().isVisible(), false);
    await details.locator('summary').click();
    await details.getByText('Send a test event').waitFor();
    assert.doesNotMatch(await frame.locator('[aria-label="Installation progress"]').innerText(), /hook\/general|http_request|\{"ok"|inst_/);

    // Over the plan's limit: said before any form, Install disabled, Upgrade tells the host page.
    await frame.getByRole('button', { name: 'Close' }).click();
    await frame.getByRole('link', { name: '← All integrations' }).click();
    await frame.locator('.mp-card[data-listing="crm"]').click();
    const notice = frame.getByTestId('plan-notice');
    await notice.getByText('Your free plan allows 1 integration and you have 1. Upgrade to Pro to add more integrations.').waitFor();
    assert.equal(await frame.getByRole('button', { name: 'Install', exact: true }).isDisabled(), true);
    assert.equal(await frame.getByRole('form', { name: 'Install Acme CRM' }).count(), 0);
    await screenshot(page, 'marketplace-plan-limit');
    await notice.getByRole('button', { name: 'Upgrade' }).click();
    await page.waitForFunction(() => window.__events.some((e) => e.id === 'upgrade_requested'));
    await notice.getByText('We have passed your upgrade request on.').waitFor();

    const evs = await events(page);
    assert.deepEqual(evs.map((e) => e.id), [
      'ready',
      'user_listing_click',
      'listing_installation_complete',
      'user_listing_click',
      'upgrade_requested',
    ]);
    assert.equal(evs[1].targetUrl, `${server.url}/marketplace/listing/webhook`);
    assert.equal(evs[2].targetUrl, `${server.url}/marketplace/listing/webhook`);
    assert.match(evs[2].message, /^Webhook \(inst_[0-9a-z]+\)$/, 'the crm connection claims do not name the webhook install');
    assert.deepEqual(evs[4], { id: 'upgrade_requested', targetUrl: `${server.url}/marketplace/listing/crm`, message: 'Upgrade to Pro to add more integrations.', listing: 'crm', plan: 'free' });
    const messages = (await raw(page)).filter((m) => m.origin === server.url);
    assert.equal(messages.length, evs.length, 'every posted message became an event');
    for (const m of messages) {
      assert.equal(m.type, 'string', 'events are posted as JSON strings');
      const keys = JSON.parse(m.data).id === 'upgrade_requested' ? ['id', 'targetUrl', 'message', 'listing', 'plan'] : ['id', 'targetUrl', 'message'];
      assert.deepEqual(Object.keys(JSON.parse(m.data)), keys);
    }
    assert.deepEqual(messages.map((m) => JSON.parse(m.data).id), evs.map((e) => e.id));

    // The installed list: status, disable, step log.
    await frame.getByRole('link', { name: /^Installed/ }).click();
    const row = frame.locator('.mp-install').first();
    await row.getByText('Installed', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Details' }).click();
    await row.getByText('Send a test event').waitFor();
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();
    await screenshot(page, 'marketplace-installed');
    await row.getByRole('button', { name: 'Uninstall' }).click();
    await frame.getByRole('alertdialog').getByRole('button', { name: 'Uninstall' }).click();
    await page.waitForFunction(() => window.__events.some((e) => e.id === 'installation_removed'));
    await frame.getByText('Nothing installed yet.').waitFor();
    assert.deepEqual(expected4xx(errors), []);
    await context.close();
  });

  test('a rejected link shows why inside the iframe', async () => {
    const { context, page } = await newPage(browser);
    const now = Math.floor(Date.now() / 1000);
    const expired = sign({ iat: now - 7200, exp: now - 3600, orgId, user: { externalId: 'late' } }, secret);
    await page.goto(`${hostOrigin}/?jwt=${expired}`);
    const frame = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no iframe')), 10_000);
      const find = () => {
        const f = page.frames().find((x) => x.url().startsWith(server.url + '/marketplace'));
        if (f) (clearTimeout(t), resolve(f));
        else setTimeout(find, 50);
      };
      find();
    });
    await frame.getByRole('heading', { name: 'This marketplace link is not valid' }).waitFor();
    assert.match(await frame.locator('#reason').innerText(), /expired at .* ago \(leeway 60s\)/);
    await screenshot(page, 'marketplace-rejected-link');
    await context.close();
  });

  test('console: plans, listings, secrets, link builder, inspector and installs', async () => {
    const { context, page, errors } = await newPage(browser);
    await context.setExtraHTTPHeaders({ Authorization: `Bearer ${token}` });
    await page.goto(`${server.url}/#/marketplace`);
    await page.getByRole('form', { name: 'Marketplace settings' }).waitFor();
    assert.equal(await page.locator('.mpc-field input').first().inputValue(), orgId);
    await screenshot(page, 'console-marketplace-overview');

    await page.getByRole('link', { name: 'Plans' }).click();
    await page.locator('tr[data-plan="free"]').getByText('Upgrade to Pro to add more integrations.').waitFor();
    await screenshot(page, 'console-marketplace-plans');

    await page.getByRole('link', { name: 'Listings' }).click();
    await page.locator('tr[data-listing="crm"]').waitFor();
    await page.locator('tr[data-listing="crm"]').getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('tab', { name: 'Advanced (JSON)' }).click();
    const editor = page.getByRole('textbox', { name: 'Listing JSON' });
    const listing = JSON.parse(await editor.inputValue());
    listing.workflow[0].url = '{{config.nope}}';
    await editor.fill(JSON.stringify(listing, null, 2));
    await page.getByRole('button', { name: 'Save listing' }).click();
    await page.getByRole('alert').getByText('placeholder {{config.nope}} names no config field').waitFor();
    await screenshot(page, 'console-marketplace-listings');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('alertdialog', { name: 'Leave without saving?' }).getByRole('button', { name: 'Leave' }).click();

    await page.getByRole('link', { name: 'API secrets' }).click();
    await page.getByRole('button', { name: 'Create secret' }).click();
    const shown = await page.getByTestId('new-secret').innerText();
    assert.match(shown, /^fbms_[A-Za-z0-9_-]{43}$/);
    await screenshot(page, 'console-marketplace-secrets');

    await page.getByRole('link', { name: 'Signed-link builder' }).click();
    await page.getByRole('combobox', { name: 'Plan' }).selectOption('pro');
    await page.getByRole('button', { name: 'Sign link' }).click();
    const url = await page.getByTestId('signed-link').getByRole('link').first().innerText();
    assert.match(url, new RegExp(`^${server.url}/marketplace\\?jwt=`));
    await screenshot(page, 'console-marketplace-link-builder');

    await page.getByRole('link', { name: 'Token inspector' }).click();
    const bad = sign(claimsFor('someone-else', { exernalId: 'x' }), 'wrong-secret', { alg: 'HS256', crit: ['b64'] });
    await page.getByRole('textbox', { name: /Token/ }).fill(bad);
    await page.getByRole('button', { name: 'Inspect' }).click();
    const report = page.getByTestId('inspect-report');
    await report.getByText(/^rejected: /).waitFor();
    for (const check of ['crit', 'signature', 'orgId', 'user']) {
      assert.equal(await report.locator(`tr[data-check="${check}"]`).getAttribute('data-status'), 'failed', check);
    }
    await screenshot(page, 'console-marketplace-inspector');

    await page.getByRole('link', { name: 'Installs', exact: true }).click();
    await page.getByRole('checkbox', { name: 'include removed' }).check(); // the one install was uninstalled above
    await page.locator('.mpc-table tr.clickable').first().click();
    await page.getByRole('region', { name: 'Install details' }).getByText('Send a test event').waitFor();
    await page.getByRole('link', { name: 'End users' }).click();
    await page.getByText('host-user-7').waitFor();
    await screenshot(page, 'console-marketplace-end-users');
    assert.deepEqual(unexpected(errors, [/\b422\b.*\/api\/admin\/marketplace\/listings\/crm/]), []);
    await context.close();
  });
});

describe('the demo app\'s Integrations tab', () => {
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

  test('embeds the marketplace signed in by the demo backend; an install runs the workflow with a relay route', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(server.urls['demo app']);
    await page.getByRole('tab', { name: 'Integrations' }).click();
    const log = page.getByRole('list', { name: 'Marketplace events' });
    await log.getByText('ready').waitFor({ timeout: 15_000 });
    const frame = page.frames().find((f) => f.url().startsWith(server.url + '/marketplace'));
    assert.ok(frame, 'the marketplace iframe is on the demo page');
    await frame.getByTestId('mp-user').getByText('Dana Demo').waitFor();
    await frame.locator('.mp-card[data-listing="crm"]').click();
    await log.getByText('user_listing_click').waitFor();
    await frame.getByRole('button', { name: 'Install' }).click();
    const form = frame.getByRole('form', { name: 'Install Acme CRM' });
    await form.getByText('Provided by your app when it signed you in.').waitFor();
    await form.getByRole('button', { name: 'Install' }).click();
    await frame.locator('[aria-label="Installation progress"][data-status="installed"]').waitFor({ timeout: 20_000 });
    await frame.getByTestId('install-result').getByText('Your records will be sent to Acme CRM as soon as you import them.').waitFor();
    assert.equal(await frame.getByText(/route-inst_/).count(), 0, 'no internal ids in what the end user reads');
    await log.getByText('listing_installation_complete').waitFor();
    await screenshot(page, 'demo-integrations');
    // The secret API key from the signed link reached the API but never the step log.
    assert.equal(await frame.getByText('demo-crm-key-123').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
