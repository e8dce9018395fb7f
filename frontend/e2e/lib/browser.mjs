// Launches Debian's Chromium through playwright-core (no browser download) and
// saves screenshots to test-artifacts/e2e/<name>.png at the repository root.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './server.mjs';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const artifactsDir = join(repoRoot, 'test-artifacts', 'e2e');

/**
 * Each launch gets a fresh profile: chromium.launch creates a new temporary
 * user-data-dir and deletes it on close (playwright refuses --user-data-dir here).
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

/**
 * A new context and page; uncaught page errors and console errors are collected
 * in `errors` so tests can assert the page ran cleanly.
 * @param {import('playwright-core').Browser} browser
 */
export async function newPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  // net::ERR_ABORTED is the page cancelling its own request (a navigation away before a list loaded,
  // an iframe replaced, an AbortController): not a failure of the server, and on a loaded machine it
  // depends only on timing. Refused connections, resets and empty answers still count.
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (why === 'net::ERR_ABORTED') return;
    errors.push(`request failed: ${r.method()} ${r.url()}: ${why}`);
  });
  return { context, page, errors };
}

/**
 * Saves a full-page screenshot as test-artifacts/e2e/<name>.png and returns its path.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  await mkdir(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
