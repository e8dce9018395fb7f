// Destructive actions ask with the one styled dialog (shared/ConfirmDialog.tsx, shared/askConfirm.tsx),
// never the browser's native confirm(), alert() or prompt(): they block the page, cannot be styled,
// and the desktop window's WebView may not show them at all.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'api-types' ? [] : files(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

describe('no native dialogs', () => {
  it('no source calls window.confirm, alert or prompt', () => {
    const hits: string[] = [];
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8');
      // A file may name a function of its own confirm (the mapping step's "confirm the mapping").
      const own = new Set([...text.matchAll(/function (confirm|alert|prompt)\b/g)].map((m) => m[1]));
      text.split('\n').forEach((line, i) => {
        if (/^\s*(\*|\/\/)/.test(line)) return; // comments
        for (const m of line.matchAll(/(window\.|globalThis\.|self\.)?\b(confirm|alert|prompt)\s*\(/g)) {
          const before = line[m.index - 1] ?? '';
          if (m[1] || (!own.has(m[2]) && before !== '.' && !/\w/.test(before))) hits.push(`${relative(src, f)}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    expect(hits).toEqual([]);
  });
});
