// Starts the real fusebox binary for end-to-end tests:
//   bin/fusebox serve --addr 127.0.0.1:0 --data-dir <fresh temp dir> [extra args]
// parses the URLs it prints, waits for /healthz, and stops it with SIGTERM,
// failing when it does not exit cleanly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** "  Importer SDK: http://..." -> ["importer sdk", "http://..."] */
const urlLine = /^\s*([A-Za-z][A-Za-z ]*?):\s+(https?:\/\/\S+)\s*$/;
const listeningLine = /^Fusebox (\S+) listening on (https?:\/\/\S+)/;

/**
 * @typedef {object} RunningServer
 * @property {string} url       base URL, e.g. http://127.0.0.1:41234
 * @property {string} version   as printed in the "listening" line
 * @property {Record<string,string>} urls  printed URLs by label: console, demo app, marketplace, importer sdk, health
 * @property {string} dataDir
 * @property {() => string} stdout  everything printed so far
 * @property {() => string} stderr  everything logged so far
 * @property {(re: RegExp, timeoutMs?: number) => Promise<string>} waitForLog  resolves with the first stdout/stderr line matching re
 * @property {() => Promise<void>} stop  SIGTERM; rejects unless the process exits with status 0
 * @property {() => Promise<void>} kill  SIGKILL (no shutdown); resolves once the process is gone; the data dir stays
 */

/**
 * @param {{ args?: string[], env?: Record<string,string>, binary?: string, keepDataDir?: boolean, dataDir?: string, addr?: string }} [opts]
 *   dataDir: serve this data dir (kept at stop) instead of a new one; addr: listen there instead of a free port
 * @returns {Promise<RunningServer>}
 */
export async function startServer(opts = {}) {
  const binary = opts.binary ?? process.env.FUSEBOX_BIN ?? join(repoRoot, 'bin', 'fusebox');
  if (!existsSync(binary)) {
    throw new Error(`e2e: ${binary} does not exist; build it first (make server) or set FUSEBOX_BIN`);
  }
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'fusebox-e2e-')));
  const keepDataDir = opts.keepDataDir || !!opts.dataDir;
  const args = ['serve', '--addr', opts.addr ?? '127.0.0.1:0', '--data-dir', dataDir, ...(opts.args ?? [])];
  const child = spawn(binary, args, {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let out = '';
  let err = '';
  /** @type {{ re: RegExp, resolve: (line: string) => void }[]} */
  let watchers = [];
  const feed = (line) => {
    watchers = watchers.filter((w) => {
      if (!w.re.test(line)) return true;
      w.resolve(line);
      return false;
    });
  };
  const splitter = (append) => {
    let partial = '';
    return (chunk) => {
      const text = chunk.toString('utf8');
      append(text);
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(feed);
    };
  };
  child.stdout.on('data', splitter((t) => (out += t)));
  child.stderr.on('data', splitter((t) => (err += t)));

  /** @type {Promise<{ code: number|null, signal: string|null }>} */
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  let hasExited = false;
  exited.then(() => (hasExited = true));
  const spawnFailed = new Promise((_, rej) => child.once('error', (e) => rej(new Error(`e2e: cannot start ${binary}: ${e.message}`))));
  spawnFailed.catch(() => {});

  const describe = () => `\n--- stdout ---\n${out}\n--- stderr ---\n${err}`;

  function waitForLog(re, timeoutMs = START_TIMEOUT_MS) {
    const already = (out + '\n' + err).split('\n').find((l) => re.test(l));
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        watchers = watchers.filter((w) => w.re !== re);
        rej(new Error(`e2e: no output line matching ${re} within ${timeoutMs} ms${describe()}`));
      }, timeoutMs);
      watchers.push({ re, resolve: (line) => { clearTimeout(timer); res(line); } });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        rej(new Error(`e2e: fusebox exited (code ${code}, signal ${signal}) before printing ${re}${describe()}`));
      });
    });
  }

  const cleanup = async () => {
    if (!hasExited) child.kill('SIGKILL');
    if (!keepDataDir) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const listening = await Promise.race([waitForLog(listeningLine), spawnFailed]);
    const [, version, url] = listeningLine.exec(listening) ?? [];
    await waitForLog(/^\s*Health:\s+http/);
    /** @type {Record<string,string>} */
    const urls = {};
    for (const line of out.split('\n')) {
      const m = urlLine.exec(line);
      if (m) urls[m[1].toLowerCase()] = m[2];
    }
    if (!urls.console) throw new Error(`e2e: fusebox printed no "Console:" URL${describe()}`);
    await waitHealthy(urls.health ?? `${url}/healthz`, exited, describe);

    return {
      url,
      version,
      urls,
      dataDir,
      stdout: () => out,
      stderr: () => err,
      waitForLog,
      async kill() {
        if (!hasExited) child.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (!hasExited) child.kill('SIGTERM');
        let timer;
        const result = await Promise.race([
          exited,
          new Promise((res) => (timer = setTimeout(() => res(null), STOP_TIMEOUT_MS))),
        ]);
        clearTimeout(timer);
        await cleanup();
        if (result === null) throw new Error(`e2e: fusebox did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM${describe()}`);
        if (result.code !== 0) {
          throw new Error(`e2e: fusebox exited with code ${result.code} (signal ${result.signal}) after SIGTERM, want 0${describe()}`);
        }
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function waitHealthy(healthUrl, exited, describe) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let dead = false;
  exited.then(() => (dead = true));
  let last = '';
  while (Date.now() < deadline && !dead) {
    try {
      const res = await fetch(healthUrl);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`e2e: ${healthUrl} not healthy (${dead ? 'process exited' : 'timed out'}; last: ${last})${describe()}`);
}
