// End-to-end: the console dashboard over activity made through the real APIs (imports of several sizes
// with errors and abandoned ones, deliveries to a destination that fails some records, marketplace
// installs on two plans with a plan-limit refusal). Each chart's table view is checked against SQL
// counts over the server's own database file (sqlite3, read-only), and each tile opens the list it
// counts. Screenshots of every console page at 1280x800 go to test-artifacts/e2e/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { adminToken, api, putImporter, submitAndWait, until } from './lib/importer.mjs';
import { startServer } from './lib/server.mjs';

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
function sign(claims, secret) {
  const signing = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${signing}.${createHmac('sha256', secret).update(signing).digest('base64url')}`;
}

/** Runs SQL on the server's database file, read-only; rows as arrays of strings. */
function sql(dataDir, query) {
  const out = execFileSync('sqlite3', ['-readonly', '-separator', '\t', join(dataDir, 'fusebox.db'), query], { encoding: 'utf8' });
  return out.trim() === '' ? [] : out.trim().split('\n').map((l) => l.split('\t'));
}
const num = (dataDir, query) => Number(sql(dataDir, query)[0]?.[0] ?? 0);

describe('console dashboard', () => {
  /** @type {import('./lib/server.mjs').RunningServer} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('node:http').Server} */
  let receiver;
  let token = '';
  const received = [];
  /** The cancelled and the abandoned import. */
  let seeded = { cancelled: '', idle: '' };

  before(async () => {
    // A receiver that refuses records whose name starts with "fail".
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(body);
        const bad = /"name":"fail/.test(body);
        res.writeHead(bad ? 500 : 200, { 'Content-Type': 'application/json' });
        res.end(bad ? '{"error":"refused"}' : '{"ok":true}');
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    const receiverURL = `http://127.0.0.1:${receiver.address().port}/in`;

    server = await startServer({ args: ['--no-demo'] });
    token = await adminToken(server);
    const call = (method, path, body, opts) => api(server, token, method, path, body, opts);

    // Two importers; rows with errors can be submitted.
    for (const slug of ['leads', 'orders']) {
      await putImporter(server, {
        slug, name: slug === 'leads' ? 'Leads' : 'Orders', settings: { invalid_rows: 'include' },
        columns: [{ key: 'name', label: 'Name', required: true }, { key: 'email', label: 'Email', type: 'email' }],
      });
    }
    await call('POST', '/api/admin/relay/destinations', { id: 'leads-sink', url: '/sink/leads', importer: 'leads', batch: 0 }, { expect: [201] });
    await call('POST', '/api/admin/relay/destinations', { id: 'leads-flaky', url: receiverURL, importer: 'leads', batch: 0, retry: ['0s'] }, { expect: [201] });

    // Imports: several sizes, some rows with errors (bad email) and some the flaky receiver refuses.
    const csv = (n, errors, fails) => {
      const rows = ['Name,Email'];
      for (let i = 0; i < n; i++) {
        const name = i < fails ? `fail-${i}` : `person-${i}`;
        rows.push(`${name},${i >= n - errors ? 'not-an-email' : `p${i}@example.com`}`);
      }
      return rows.join('\n') + '\n';
    };
    const run = async (importer, name, body, until_) => {
      // The session's metadata names the end user (the imports list's "who").
      const user = name ? name.replace(/\.csv$/, '') : '';
      const imp = await call('POST', '/api/importer/imports', { importer_slug: importer, metadata: user ? { user_id: `u-${user}`, email: `${user}@example.com` } : {} });
      if (until_ === 'created') return imp.slug;
      const up = await fetch(`${server.url}/api/importer/imports/${imp.slug}/file?name=${name}`, {
        method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body,
      });
      assert.equal(up.status, 200, await up.text());
      if (until_ === 'uploaded') return imp.slug;
      await call('GET', `/api/importer/imports/${imp.slug}/mapping`);
      if (until_ === 'header') return imp.slug;
      await call('PUT', `/api/importer/imports/${imp.slug}/mapping`, { columns: [{ index: 0, key: 'name' }, { index: 1, key: 'email' }] }, { expect: [202] });
      await until(async () => (await call('GET', `/api/importer/imports/${imp.slug}/progress`)).done, 'staging');
      if (until_ === 'review') return imp.slug;
      const done = await submitAndWait(server, token, imp.slug);
      assert.equal(done.status, 'completed');
      return imp.slug;
    };
    await run('leads', 'small.csv', csv(3, 1, 0));
    await run('leads', 'medium.csv', csv(12, 3, 2));
    await run('leads', 'large.csv', csv(40, 5, 3));
    await run('orders', 'orders.csv', csv(8, 2, 0));
    await run('orders', 'review-only.csv', csv(5, 0, 0), 'review');
    await run('leads', 'header-only.csv', csv(4, 0, 0), 'header');
    const cancelled = await run('leads', 'uploaded-only.csv', csv(4, 0, 0), 'uploaded');
    const idle = await run('orders', '', '', 'created');
    // The end user cancels one (the embed's Cancel sends this); the other was left two days ago: the
    // one thing not done through the API is time passing, so its timestamps are moved back.
    await call('POST', `/api/importer/imports/${cancelled}/cancel`);
    const twoDaysAgo = new Date(Date.now() - 2 * 86400_000).toISOString();
    execFileSync('sqlite3', [join(server.dataDir, 'fusebox.db'), '.timeout 5000',
      `UPDATE importer_imports SET created_at = '${twoDaysAgo}', updated_at = '${twoDaysAgo}' WHERE slug = '${idle}'`]);
    seeded = { cancelled, idle };

    // Marketplace: two plans, installs by a free and a pro user, one refused by the free plan's limit.
    const mp = (method, path, body) => call(method, `/api/admin/marketplace${path}`, body);
    await mp('PUT', '/settings', { org_id: 'e2e-org', title: 'Integrations' });
    await mp('PUT', '/plans/free', { name: 'free', default: true, max_integrations: 1, allowed_actions: ['install'], upgrade_message: 'Upgrade to Pro.' });
    await mp('PUT', '/plans/pro', { name: 'pro', max_integrations: 10, allowed_actions: ['install', 'customize'] });
    for (const [id, name] of [['notes', 'Notes'], ['crm', 'Acme CRM']]) {
      await mp('PUT', `/listings/${id}`, { id, name, category: 'Tools', summary: `${name} for you.`, workflow: [{ kind: 'notify', name: 'Done', message: 'Connected.' }] });
    }
    const secret = (await mp('POST', '/secrets', { label: 'e2e' })).secret;
    const login = async (externalId, plan) => {
      const now = Math.floor(Date.now() / 1000);
      const jwt = sign({ iat: now, exp: now + 600, nbf: now, orgId: 'e2e-org', user: { externalId, firstname: externalId, lastname: 'E2E', email: `${externalId}@example.com`, monetizationPlan: plan } }, secret);
      const res = await fetch(`${server.url}/api/marketplace/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: jwt }) });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return JSON.parse(text).session;
    };
    const install = async (session, listing, expectStatus = 202) => {
      const res = await fetch(`${server.url}/api/marketplace/installs`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Fusebox-Marketplace-Session': session }, body: JSON.stringify({ listing_id: listing, config: {} }),
      });
      assert.equal(res.status, expectStatus, await res.text());
    };
    const alice = await login('alice', 'free');
    const bob = await login('bob', 'pro');
    await install(alice, 'notes');
    await install(alice, 'crm', 403);
    await install(bob, 'notes');
    await install(bob, 'crm');

    // Every delivery settles (delivered, or dead after its one retry).
    await until(async () => {
      const st = await call('GET', '/api/admin/relay/stats');
      return (st.by_status?.pending ?? 0) === 0 && st.pending_jobs === 0 && (st.by_status?.delivered ?? 0) > 0;
    }, 'deliveries settled', 30_000);
    await until(async () => num(server.dataDir, `SELECT count(*) FROM marketplace_installs WHERE status = 'running'`) === 0, 'installs finished');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  async function openDashboard() {
    const { context, page, errors } = await newPage(browser);
    await context.setExtraHTTPHeaders({ Authorization: `Bearer ${token}` });
    await page.goto(`${server.url}/`);
    await page.locator('[data-chart="funnel"]').waitFor();
    await page.locator('[data-testid="version"]').waitFor();
    return { context, page, errors };
  }

  /** A chart's table view as {rowKey: {col: number}} keyed by the row's data attribute. */
  async function table(page, selector, rowAttr) {
    return page.locator(selector).evaluate((root, attr) => {
      const out = {};
      for (const tr of root.querySelectorAll(`tr[${attr}]`)) {
        const row = {};
        for (const td of tr.querySelectorAll('td[data-col]')) row[td.getAttribute('data-col')] = Number(td.textContent.replace(/[^0-9.-]/g, ''));
        out[tr.getAttribute(attr)] = row;
      }
      return out;
    }, rowAttr);
  }

  test('every chart table matches SQL over the database', async () => {
    const { context, page, errors } = await openDashboard();
    const dir = server.dataDir;

    // Imports per day (the day they started, UTC).
    const perDay = await table(page, '[data-chart="imports-per-day"] table', 'data-day');
    const sqlDays = sql(dir, `SELECT substr(created_at, 1, 10), count(*), SUM(status IN ('submitted', 'completed')), SUM(status = 'failed'),
      SUM(row_count), SUM(error_rows), SUM(CASE WHEN status IN ('submitted', 'completed') THEN record_count ELSE 0 END) FROM importer_imports GROUP BY 1`);
    assert.ok(sqlDays.length >= 1);
    let total = 0;
    for (const [day, started, submitted, failed] of sqlDays) {
      assert.deepEqual(perDay[day], { started: Number(started), submitted: Number(submitted), failed: Number(failed) }, day);
      total += Number(started);
    }
    assert.equal(perDay.total.started, total);
    assert.equal(total, 8);

    const rows = await table(page, '[data-chart="rows-per-day"] table', 'data-day');
    for (const [day, , , , rowCount, errorRows, records] of sqlDays) {
      assert.deepEqual(rows[day], { rows: Number(rowCount), error_rows: Number(errorRows), records: Number(records) }, day);
    }
    assert.equal(rows.total.error_rows, 11);

    // The funnel: imports that reached each step, overall and per importer.
    const funnel = await table(page, '[data-chart="funnel"] table', 'data-importer');
    const steps = ['upload', 'header', 'mapping', 'review', 'submit'];
    const want = (where) => Object.fromEntries([['started', num(dir, `SELECT count(*) FROM importer_imports i ${where}`)],
      ...steps.map((s, k) => [s, num(dir, `SELECT count(*) FROM importer_imports i ${where ? where + ' AND' : 'WHERE'} i.reached >= ${k + 1}`)])]);
    assert.deepEqual(funnel[''], want(''));
    assert.deepEqual(funnel[''], { started: 8, upload: 7, header: 6, mapping: 5, review: 5, submit: 4 });
    for (const slug of ['leads', 'orders']) {
      assert.deepEqual(funnel[slug], want(`JOIN importers im ON im.id = i.importer_id WHERE im.slug = '${slug}'`), slug);
    }

    // Delivery health per destination.
    const health = await page.locator('[data-chart="delivery-health"] tr[data-destination]').evaluateAll((trs) =>
      Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-destination'), {
        delivered: Number(tr.querySelector('[data-col="delivered"]').textContent),
        failed: Number(tr.querySelector('[data-col="failed"]').textContent.replace(/\D/g, '')),
        attempts: Number(tr.querySelector('[data-col="attempts"]').textContent),
        backlog: Number(tr.querySelector('[data-col="backlog"]').textContent),
        rate: tr.querySelector('[data-col="success_rate"]').textContent,
        sparkline: tr.querySelector('svg.sparkline')?.getAttribute('aria-label'),
      }])));
    for (const dest of ['leads-sink', 'leads-flaky']) {
      const [delivered, failed, attempts, backlog] = sql(dir, `SELECT SUM(status = 'delivered'), SUM(status IN ('failed', 'dead')), SUM(attempts), SUM(status = 'pending')
        FROM relay_deliveries WHERE destination_id = '${dest}'`)[0].map(Number);
      assert.deepEqual({ delivered: health[dest].delivered, failed: health[dest].failed, attempts: health[dest].attempts, backlog: health[dest].backlog },
        { delivered, failed, attempts, backlog }, dest);
      const rate = delivered + failed ? (delivered / (delivered + failed)) * 100 : -1;
      assert.equal(health[dest].rate, rate === 100 ? '100%' : `${rate.toFixed(1)}%`, dest);
      assert.match(health[dest].sparkline, new RegExp(`^${dest}: ${delivered} delivered, ${failed} failed over 30 days$`));
    }
    assert.equal(health['leads-flaky'].failed, 5, 'the five "fail-" records die after their retry');
    assert.equal(health['leads-flaky'].attempts, health['leads-flaky'].delivered + 10);
    const lastError = await page.locator('[data-chart="delivery-health"] tr[data-destination="leads-flaky"] [data-col="last_error"]').innerText();
    assert.match(lastError, /500/);

    // Installs per day and by listing and plan.
    const installs = await table(page, '[data-chart="installs-per-day"] table', 'data-day');
    for (const [day, n] of sql(dir, `SELECT substr(created_at, 1, 10), count(*) FROM marketplace_installs GROUP BY 1`)) {
      assert.equal(installs[day].installs, Number(n), day);
    }
    const byLP = await page.locator('[data-chart="installs-by-listing-plan"] tr[data-listing]').evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-listing'), tr.getAttribute('data-plan'), Number(tr.querySelector('[data-col="installs"]').textContent)]));
    const sqlLP = sql(dir, `SELECT i.listing_id, u.plan, count(*) FROM marketplace_installs i JOIN marketplace_end_users u ON u.id = i.end_user_id GROUP BY 1, 2 ORDER BY 1, 2`)
      .map(([l, p, n]) => [l, p, Number(n)]);
    assert.deepEqual(byLP, sqlLP);
    assert.deepEqual(sqlLP, [['crm', 'pro', 1], ['notes', 'free', 1], ['notes', 'pro', 1]]);

    // Tiles against SQL.
    const tile = async (id) => Number((await page.locator(`[data-tile="${id}"] .stat-value`).innerText()).replace(/\D/g, ''));
    assert.equal(await tile('imports-started'), 8);
    assert.equal(await tile('deliveries-failed'), num(dir, `SELECT count(*) FROM relay_deliveries WHERE status IN ('failed', 'dead')`));
    assert.equal(await tile('deliveries-delivered'), num(dir, `SELECT count(*) FROM relay_deliveries WHERE status = 'delivered'`));
    assert.equal(await tile('end-users'), num(dir, `SELECT count(*) FROM marketplace_end_users`));
    // Plan-limit hits are two tiles, each with its own list: installs refused and deliveries held.
    assert.equal(await tile('installs-refused'), num(dir, `SELECT count(*) FROM marketplace_limit_hits`));
    assert.equal(await tile('installs-refused'), 1);
    assert.equal(await tile('deliveries-held'), num(dir, `SELECT count(*) FROM relay_deliveries WHERE status = 'held'`));

    // The activity feed names imports, installs and failed deliveries, each a link.
    const kinds = await page.locator('.activity li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    for (const k of ['import', 'install', 'delivery_failed']) assert.ok(kinds.includes(k), `activity has ${k}: ${kinds}`);

    // One importer: the imports chart and funnel narrow to it.
    await page.getByLabel('Importer').selectOption('orders');
    await page.locator('[data-testid="range"]', { hasText: 'importer orders' }).waitFor();
    const orders = await table(page, '[data-chart="funnel"] table', 'data-importer');
    assert.deepEqual(Object.keys(orders).sort(), ['', 'orders']);
    assert.equal(orders[''].started, 3);

    await page.getByLabel('Importer').selectOption('');
    await page.locator('[data-testid="range"]', { hasText: /UTC days/ }).waitFor();
    await page.locator('[data-chart="imports-per-day"] details summary').click();
    await screenshot(page, 'console-dashboard-charts');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('each tile opens the list it counts, and the list holds what the tile counts', async () => {
    const { context, page, errors } = await openDashboard();
    const dir = server.dataDir;
    const range = await page.getByTestId('range').innerText();
    const [, from, to] = /^(\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})/.exec(range);
    const days = `from=${from}&to=${to}`;
    const inRange = `substr(created_at, 1, 10) BETWEEN '${from}' AND '${to}'`;
    const cases = [
      ['imports-started', `#/imports?hidden=1&${days}`, 'Imports'],
      ['imports-failed', `#/imports?status=failed&${days}`, 'Imports'],
      ['imports-submitted', `#/imports?status=submitted,completed&${days}`, 'Imports'],
      ['records', `#/imports?status=submitted,completed&${days}`, 'Imports'],
      ['error-rate', `#/imports?hidden=1&${days}`, 'Imports'],
      ['deliveries-delivered', `#/relay/deliveries?status=delivered&${days}`, 'Relay'],
      ['deliveries-failed', `#/relay/deliveries?status=failed,dead&${days}`, 'Relay'],
      ['backlog', '#/relay/deliveries?status=pending', 'Relay'],
      ['installs', `#/marketplace/installs?removed=1&${days}`, 'Marketplace'],
      ['end-users', '#/marketplace/end-users', 'Marketplace'],
      ['installs-refused', `#/marketplace/limit-hits?${days}`, 'Marketplace'],
      ['deliveries-held', `#/relay/deliveries?status=held&${days}`, 'Relay'],
    ];
    /** The deliveries the relay list holds: its rows, every page of them (100 a page), or none. */
    const deliveriesListed = async () => {
      await page.locator('.rly-table, .rly-muted:text("No deliveries match.")').first().waitFor();
      const rows = page.locator('.rly-table tbody tr.clickable');
      const more = page.getByRole('button', { name: 'Load more' });
      while (await more.count()) {
        const n = await rows.count();
        await more.click();
        await until(async () => (await rows.count()) > n || !(await more.count()), 'the next page');
      }
      return rows.count();
    };
    const deliverySQL = { 'deliveries-delivered': "'delivered'", 'deliveries-failed': "'failed', 'dead'", backlog: "'pending'", 'deliveries-held': "'held'" };
    const tileValue = async (id) => Number((await page.locator(`[data-tile="${id}"] .stat-value`).innerText()).replace(/\D/g, ''));
    /** The imports the list says it holds: its pager's count, or none. */
    const importsListed = async () => {
      await page.locator('.ks-pager, .ks-empty').first().waitFor();
      const pager = await page.locator('.ks-pager').count();
      if (!pager) return 0;
      return Number(/([\d,]+) imports?\b/.exec(await page.locator('.ks-pager').innerText())[1].replace(/,/g, ''));
    };
    for (const [id, href, heading] of cases) {
      await page.goto(`${server.url}/#/`);
      await page.locator('[data-chart="funnel"]').waitFor();
      const value = await tileValue(id);
      await page.locator(`[data-tile="${id}"]`).click();
      await page.waitForURL((u) => u.hash === href.slice(0), { timeout: 10_000 });
      await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
      if (id === 'imports-started') assert.equal(await importsListed(), value, id);
      if (id === 'imports-failed') assert.equal(await importsListed(), value, id);
      if (id === 'imports-submitted') assert.equal(await importsListed(), value, id);
      if (id === 'records' || id === 'error-rate') {
        assert.equal(await importsListed(), num(dir, `SELECT count(*) FROM importer_imports WHERE ${inRange}${id === 'records' ? " AND status IN ('submitted', 'completed')" : ''}`), id);
      }
      if (id === 'installs') {
        const rows = page.locator('.mpc-table tbody tr');
        await until(async () => (await rows.count()) === value, `${value} installs listed`);
      }
      if (id in deliverySQL) {
        // The tiles count the range's deliveries by the day they were made; the backlog is pending now, any day.
        const want = num(dir, `SELECT count(*) FROM relay_deliveries WHERE status IN (${deliverySQL[id]})${id === 'backlog' ? '' : ` AND ${inRange}`}`);
        assert.equal(value, want, `${id}: tile against SQL`);
        if (id === 'deliveries-delivered' || id === 'deliveries-failed') assert.ok(value > 0, `${id}: the seeds made some`);
        await until(async () => (await deliveriesListed()) === value, `${id}: ${value} deliveries listed`);
        if (id !== 'backlog') assert.match(await page.getByTestId('deliveries-filter').innerText(), new RegExp(`^created ${from} to ${to} \\(UTC\\)`), id);
        if (id === 'deliveries-failed') await screenshot(page, 'console-deliveries-days');
      }
      if (id === 'installs-refused') {
        assert.equal(value, num(dir, `SELECT count(*) FROM marketplace_limit_hits WHERE ${inRange}`), id);
        const rows = page.locator('.mpc-table[aria-label="Installs refused by a plan limit"] tbody tr');
        await until(async () => (await rows.count()) === value, `${value} refused installs listed`);
        assert.match(await rows.first().innerText(), /alice[\s\S]*crm[\s\S]*free[\s\S]*Upgrade to Pro/);
        await page.getByTestId('limit-hits-filter').waitFor();
        await screenshot(page, 'console-limit-hits');
      }
    }

    // The deliveries list shows its date range and clears it: then every day's deliveries are listed.
    await page.goto(`${server.url}/#/relay/deliveries?status=delivered&from=2000-01-01&to=2000-01-02`);
    await page.getByTestId('deliveries-filter').waitFor();
    await page.getByText('No deliveries match.').waitFor();
    await page.getByRole('button', { name: 'clear dates' }).click();
    const allDelivered = num(dir, `SELECT count(*) FROM relay_deliveries WHERE status = 'delivered'`);
    await until(async () => (await deliveriesListed()) === allDelivered, `${allDelivered} delivered after clearing the dates`);
    assert.equal(await page.getByTestId('deliveries-filter').count(), 0);
    assert.ok(!page.url().includes('from='), `the address drops the dates: ${page.url()}`);
    assert.equal(num(dir, `SELECT count(*) FROM importer_imports WHERE ${inRange}`), 8);

    // The failed-deliveries list holds exactly the failed and dead deliveries.
    await page.goto(`${server.url}/#/`);
    await page.locator('[data-tile="deliveries-failed"]').click();
    await page.waitForURL(/status=failed,dead/);
    const want = num(dir, `SELECT count(*) FROM relay_deliveries WHERE status IN ('failed', 'dead')`);
    const listed = page.locator('.rly-table tbody tr.clickable');
    await until(async () => (await listed.count()) === want, `${want} failed deliveries listed`);
    for (const status of await listed.locator('.rly-pill').allTextContents()) assert.match(status, /^(failed|dead)$/);
    // A destination's failed count opens that destination's failed deliveries.
    await page.goto(`${server.url}/#/`);
    await page.locator('[data-chart="delivery-health"] tr[data-destination="leads-flaky"] a[data-col="failed"]').click();
    await page.waitForURL(new RegExp(`destination=leads-flaky&status=failed,dead&${days}$`));
    const flaky = num(dir, `SELECT count(*) FROM relay_deliveries WHERE destination_id = 'leads-flaky' AND status IN ('failed', 'dead')`);
    await until(async () => (await listed.count()) === flaky, `${flaky} failed deliveries of leads-flaky listed`);
    for (const dest of await listed.locator('td:nth-child(2)').allTextContents()) assert.match(dest, /^leads-flaky/);

    // Each "installs by listing and plan" row opens exactly those installs.
    await page.goto(`${server.url}/#/`);
    await page.locator('[data-chart="installs-by-listing-plan"] tr[data-listing]').first().waitFor();
    const lp = await page.locator('[data-chart="installs-by-listing-plan"] tr[data-listing]').evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-listing'), tr.getAttribute('data-plan'), Number(tr.querySelector('[data-col="installs"]').textContent)]));
    assert.equal(lp.length, 3);
    for (const [listing, plan, n] of lp) {
      await page.goto(`${server.url}/#/`);
      await page.locator(`[data-chart="installs-by-listing-plan"] tr[data-listing="${listing}"][data-plan="${plan}"] a`).click();
      await page.waitForURL(new RegExp(`listing=${listing}&plan=${plan}&`));
      await page.getByTestId('installs-filter').waitFor();
      const rows = page.locator('.mpc-table tbody tr');
      await until(async () => (await rows.count()) === n, `${n} installs of ${listing} on ${plan}`);
      assert.equal(n, num(dir, `SELECT count(*) FROM marketplace_installs i JOIN marketplace_end_users u ON u.id = i.end_user_id WHERE i.listing_id = '${listing}' AND u.plan = '${plan}'`));
    }

    // The failed-imports list shows the failed filter.
    await page.goto(`${server.url}/#/`);
    await page.locator('[data-tile="imports-failed"]').click();
    await page.waitForURL(/status=failed/);
    assert.equal(await page.getByLabel('Import status').inputValue(), 'failed');
    assert.deepEqual(errors.filter((e) => !/net::ERR_ABORTED/.test(e)), [], 'requests cut short by the next click are not errors');
    await context.close();
  });

  test('the imports list: abandoned and cancelled hidden until shown, file, rows, errors, who, duration; no overflow on a phone', async () => {
    const { context, page, errors } = await openDashboard();
    const dir = server.dataDir;
    await page.goto(`${server.url}/#/imports`);
    const table = page.getByRole('table', { name: 'Imports' });
    await table.locator('tr[data-import]').first().waitFor();
    const states = async () => table.locator('tr[data-import]').evaluateAll((trs) => Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-import'), tr.getAttribute('data-state')])));
    let shown = await states();
    assert.equal(Object.keys(shown).length, 6, JSON.stringify(shown));
    assert.ok(!(seeded.cancelled in shown) && !(seeded.idle in shown), 'hidden by default');
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'console-imports-hidden');
    // Show them.
    await page.getByTestId('hidden-note').getByRole('link', { name: 'Show them' }).click();
    await page.waitForURL(/#\/imports\?hidden=1$/);
    await table.locator(`tr[data-import="${seeded.idle}"]`).waitFor();
    shown = await states();
    assert.equal(Object.keys(shown).length, 8);
    assert.equal(shown[seeded.cancelled], 'cancelled');
    assert.equal(shown[seeded.idle], 'abandoned');
    // The columns against the database.
    const large = sql(dir, `SELECT slug, row_count, error_rows FROM importer_imports WHERE file_name = 'large.csv'`)[0];
    const row = table.locator(`tr[data-import="${large[0]}"]`);
    assert.equal(await row.locator('[data-col="file"]').innerText(), 'large.csv');
    assert.equal(await row.locator('[data-col="rows"]').innerText(), large[1]);
    assert.equal(await row.locator('[data-col="errors"]').innerText(), large[2]);
    assert.match(await row.locator('[data-col="duration"]').innerText(), /^\d+(s|m \d+s)$/);
    assert.equal(await row.locator('[data-col="who"]').innerText(), 'large@example.com');
    assert.match(await row.locator('time').first().getAttribute('title'), /\d{4}/, 'the exact time on hover');
    assert.equal(await table.locator(`tr[data-import="${seeded.cancelled}"] [data-col="file"]`).innerText(), 'uploaded-only.csv');
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'console-imports-shown');
    // Filter by state and importer.
    await page.goto(`${server.url}/#/imports?status=abandoned,cancelled&importer=orders`);
    await until(async () => JSON.stringify(Object.values(await states())) === '["abandoned"]', 'the abandoned import of orders, alone');

    // A phone: the page does not scroll sideways; the table scrolls inside its box.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/#/imports?hidden=1`);
    await table.locator('tr[data-import]').first().waitFor();
    await page.waitForLoadState('networkidle');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `page width ${await page.evaluate(() => document.documentElement.scrollWidth)} at 390`);
    assert.equal(await page.locator('.ks-imports').evaluate((el) => getComputedStyle(el).overflowX), 'auto');
    await screenshot(page, 'console-imports-phone');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('an editor with unsaved edits asks before leaving', async () => {
    const { context, page, errors } = await openDashboard();
    await page.goto(`${server.url}/#/relay/destinations/leads-sink`);
    const url = page.locator('.rly-field', { hasText: 'URL' }).locator('input').first();
    await url.waitFor();
    // No edits: leaving does not ask.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Imports', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Imports' }).waitFor();
    await page.goto(`${server.url}/#/relay/destinations/leads-sink`);
    await url.waitFor();
    const before = await url.inputValue();
    await url.fill(before + '-edited');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard', exact: true }).click();
    const ask = page.getByRole('alertdialog', { name: 'Leave without saving?' });
    await ask.waitFor();
    await screenshot(page, 'console-unsaved-edits');
    await ask.getByRole('button', { name: 'Stay' }).click();
    assert.match(page.url(), /#\/relay\/destinations\/leads-sink$/);
    assert.equal(await url.inputValue(), before + '-edited', 'the edit is kept');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByRole('alertdialog', { name: 'Leave without saving?' }).getByRole('button', { name: 'Leave' }).click();
    await page.locator('[data-chart="funnel"]').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('every editor asks before leaving with unsaved edits: a console link, and closing the tab', async () => {
    // [address, what is edited, how to edit it]
    const editors = [
      ['#/importers/leads', 'the importer leads', async (page) => {
        const name = page.locator('label.ied-field:has(> span.ied-label:text-is("Name")) input').first();
        await name.waitFor();
        await name.fill('Leads (renamed)');
      }],
      ['#/marketplace/plans', 'plan free', async (page) => {
        await page.locator('tr[data-plan="free"]').getByRole('button', { name: 'Edit' }).click();
        await page.getByRole('form', { name: 'Plan' }).locator('label', { hasText: 'Upgrade message' }).locator('input').fill('Go Pro today.');
      }],
      ['#/marketplace', 'the marketplace settings', async (page) => {
        const title = page.getByRole('form', { name: 'Marketplace settings' }).locator('label', { hasText: 'Title' }).locator('input');
        await title.waitFor();
        await title.fill('Integrations (edited)');
      }],
      ['#/settings', 'the clean-up age', async (page) => {
        const age = page.getByLabel('Clean-up age');
        await age.waitFor();
        await age.fill('3d');
      }],
    ];
    for (const [address, what, change] of editors) {
      const { context, page, errors } = await openDashboard();
      await page.goto(`${server.url}/${address}`);
      await change(page);
      // A console link asks, Stay keeps the page and the edit.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard', exact: true }).click();
      const ask = page.getByRole('alertdialog', { name: 'Leave without saving?' });
      await ask.waitFor();
      assert.match(await ask.innerText(), new RegExp(`Your changes to ${what.replace(/[()]/g, '\\$&')} are not saved`), address);
      await ask.getByRole('button', { name: 'Stay' }).click();
      assert.ok(page.url().endsWith(address), `${address}: still on the editor (${page.url()})`);
      // Closing the tab asks too (the browser's own prompt).
      const prompt = new Promise((resolve) => page.once('dialog', (d) => resolve(d)));
      await page.close({ runBeforeUnload: true });
      const dialog = await prompt;
      assert.equal(dialog.type(), 'beforeunload', address);
      await dialog.accept();
      assert.deepEqual(errors, [], address);
      await context.close();
    }
  });

  test('screenshots of every console page at 1280x800', async () => {
    const { context, page, errors } = await openDashboard();
    for (const [path, name, ready] of [
      ['#/', 'dashboard', '[data-chart="funnel"]'],
      ['#/importers', 'importers', 'h1'],
      ['#/imports', 'imports', 'tr[data-import]'],
      ['#/keys', 'keys', 'h1'],
      ['#/marketplace', 'marketplace', 'h1'],
      ['#/marketplace/listings', 'marketplace-listings', 'h1'],
      ['#/marketplace/end-users', 'marketplace-end-users', 'h1'],
      ['#/marketplace/installs', 'marketplace-installs', 'h1'],
      ['#/relay', 'relay', '.rly-health svg.sparkline'],
      ['#/relay/deliveries', 'relay-deliveries', '.rly-table'],
      ['#/relay/sink', 'relay-sink', 'h1'],
      ['#/settings', 'settings', 'h1'],
    ]) {
      await page.goto(`${server.url}/${path}`);
      await page.locator(ready).first().waitFor();
      await page.waitForLoadState('networkidle');
      await screenshot(page, `console-page-${name}`);
    }
    // The import detail of the largest import.
    const slug = sql(server.dataDir, `SELECT slug FROM importer_imports WHERE file_name = 'large.csv'`)[0][0];
    await page.goto(`${server.url}/#/imports/${slug}`);
    await page.locator('h1').waitFor();
    await page.waitForLoadState('networkidle');
    // Column labels (the key on hover), the records scrolling inside their own box.
    await page.locator('#records th[data-key="email"]', { hasText: 'Email' }).waitFor();
    assert.equal(await page.locator('#records th[data-key="email"]').getAttribute('title'), 'email');
    assert.equal(await page.locator('#records').evaluate((el) => getComputedStyle(el).overflowX), 'auto');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the page itself does not scroll sideways');
    await screenshot(page, 'console-page-import-detail');
    // The original file, as uploaded.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('original-file').getByRole('link', { name: 'large.csv' }).click()]);
    assert.equal(download.suggestedFilename(), 'large.csv');
    const file = await (await context.request.get(`${server.url}/api/admin/imports/${slug}/file`)).text();
    assert.match(file, /^Name,Email\nfail-0,p0@example.com\n/);
    assert.equal(file.trim().split('\n').length, 41);
    // The deliveries it caused.
    await page.getByTestId('import-deliveries').click();
    await page.waitForURL(new RegExp(`#/relay/deliveries\\?import=${slug}$`));
    const caused = Number(sql(server.dataDir, `SELECT count(*) FROM relay_deliveries WHERE import_slug = '${slug}'`)[0][0]);
    assert.equal(caused, 80, 'two destinations, 40 records each');
    await until(async () => (await page.locator('.rly-table tbody tr.clickable').count()) === caused, `${caused} deliveries of the import`);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
