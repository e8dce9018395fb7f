// The code samples of the README and docs/, read from the markdown itself so that the docs and the
// tests cannot drift: a sample is the fenced code block right after a marker line
//   <!-- sample:NAME -->
// on a line of its own (only blank space between the two). backend/httpapi/docs_test.go reads the same markers.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { repoRoot } from './server.mjs';

/** The docs that hold samples: the README and every page in docs/. */
export async function docFiles() {
  const docs = (await readdir(join(repoRoot, 'docs'))).filter((f) => f.endsWith('.md')).sort();
  return [join(repoRoot, 'README.md'), ...docs.map((f) => join(repoRoot, 'docs', f))];
}

/**
 * @typedef {object} Sample
 * @property {string} name  the marker's name
 * @property {string} file  the doc it is in, relative to the repository root
 * @property {number} line  the marker's line (1-based)
 * @property {string} lang  the fence's info string (html, jsx, vue, ts, js, python, go, sh)
 * @property {string} code  the block's text, ending with a newline
 */

const MARKER = /^<!-- sample:([\w-]+) -->[ \t]*$/gm;

/**
 * Every marked block in one markdown text. A marker not followed by a fenced block is an error.
 * @param {string} md
 * @param {string} file
 * @returns {Sample[]}
 */
export function samplesIn(md, file) {
  /** @type {Sample[]} */
  const out = [];
  for (const m of md.matchAll(MARKER)) {
    const after = md.slice(m.index + m[0].length);
    const fence = /^\s*\n(`{3,})([\w-]*)[^\n]*\n/.exec(after);
    const line = md.slice(0, m.index).split('\n').length;
    if (!fence) throw new Error(`${file}:${line}: <!-- sample:${m[1]} --> is not followed by a fenced code block`);
    const body = after.slice(fence[0].length);
    const end = body.search(new RegExp(`^${fence[1]}\\s*$`, 'm'));
    if (end < 0) throw new Error(`${file}:${line}: the code block after <!-- sample:${m[1]} --> is not closed`);
    out.push({ name: m[1], file, line, lang: fence[2], code: body.slice(0, end) });
  }
  return out;
}

/** Every marked block of the README and docs/. @returns {Promise<Sample[]>} */
export async function allSamples() {
  const out = [];
  for (const path of await docFiles()) out.push(...samplesIn(await readFile(path, 'utf8'), relative(repoRoot, path)));
  return out;
}

/**
 * The sample called `name`. A sample may be shown in more than one doc; then every copy must be
 * the same text (so running one runs them all). Fails when no doc has it.
 * @param {string} name
 * @param {Sample[]} [samples] from allSamples()
 * @returns {Promise<Sample>}
 */
export async function docSample(name, samples) {
  const all = (samples ?? (await allSamples())).filter((s) => s.name === name);
  if (all.length === 0) throw new Error(`no block marked <!-- sample:${name} --> in README.md or docs/`);
  for (const s of all.slice(1)) {
    if (s.code !== all[0].code) throw new Error(`<!-- sample:${name} --> differs between ${all[0].file}:${all[0].line} and ${s.file}:${s.line}`);
  }
  return all[0];
}

/**
 * Every fenced code block of the README and docs/, each with the name of the marker right before
 * it (or null): to find samples that should be marked and are not.
 * @returns {Promise<{ file: string, line: number, lang: string, code: string, marker: string | null }[]>}
 */
export async function allBlocks() {
  const out = [];
  for (const path of await docFiles()) {
    const md = await readFile(path, 'utf8');
    const file = relative(repoRoot, path);
    for (const m of md.matchAll(/^(`{3,})([\w-]*)[^\n]*\n([\s\S]*?)^\1[ \t]*$/gm)) {
      const marker = /<!-- sample:([\w-]+) -->\s*$/.exec(md.slice(0, m.index));
      out.push({ file, line: md.slice(0, m.index).split('\n').length, lang: m[2], code: m[3], marker: marker ? marker[1] : null });
    }
  }
  return out;
}
