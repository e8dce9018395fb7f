import { describe, expect, it } from 'vitest';
import { checkPrimaryColor, contrastRatio, formatRatio, parseHex } from './contrast';

const ratio = (a: string, b: string) => contrastRatio(parseHex(a)!, parseHex(b)!);

describe('contrast', () => {
  it('gives the figures of the accessibility review', () => {
    expect(ratio('#ffffff', '#000000')).toBeCloseTo(21, 2);
    expect(formatRatio(ratio('#ffffff', '#0c8599'))).toBe('4.35'); // white on the demo teal
    expect(formatRatio(ratio('#2b8a3e', '#ebfbee'))).toBe('4.07'); // green pill on its tint
    expect(formatRatio(ratio('#2b8a3e', '#d3f9d8'))).toBe('3.81');
    expect(formatRatio(ratio('#ffffff', '#0b7285'))).toBe('5.59'); // the replacements
    expect(formatRatio(ratio('#237032', '#ebfbee'))).toBe('5.70');
    expect(formatRatio(ratio('#fff', '#3b5bdb'))).toBe('5.67');
  });

  it('never rounds a failing ratio up to 4.50', () => {
    expect(formatRatio(4.497)).toBe('4.49');
    expect(formatRatio(4.5)).toBe('4.50');
  });

  it('refuses a brand colour below 4.5:1, saying the ratio, as the server does', () => {
    expect(checkPrimaryColor('#0c8599')?.error).toBe(
      '#0c8599 has a contrast ratio of 4.35:1 with white (text on the colour and the colour on white); at least 4.5:1 is needed: choose a darker shade',
    );
    expect(checkPrimaryColor('#0b7285')).toBeNull();
    expect(checkPrimaryColor('#1D2330')).toBeNull();
    expect(checkPrimaryColor('teal')?.error).toContain('#rrggbb');
    expect(checkPrimaryColor('#12345')?.error).toContain('#rrggbb');
  });
});

describe('the importer default theme', () => {
  it('has every text/background pair at 4.5:1 or more', async () => {
    const { readFileSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    const css = readFileSync(resolve(process.cwd(), 'src/embed/embed.css'), 'utf8');
    const v = (name: string) => {
      const m = new RegExp(`--fbx-${name}:\\s*(#[0-9a-f]{3,6})\\b`, 'i').exec(css);
      if (!m) throw new Error(`embed.css: --fbx-${name} is not a hex colour`);
      return m[1];
    };
    const pairs: [string, string][] = [
      ['text', 'bg'], ['muted', 'bg'], ['primary', 'bg'], ['primary', 'secondary'],
      ['error', 'error-bg'], ['warn', 'warn-bg'], ['ok', 'ok-bg'], ['ok', 'bg'], ['error', 'bg'],
    ];
    for (const [fg, bg] of pairs) {
      expect(ratio(v(fg), v(bg)), `--fbx-${fg} on --fbx-${bg}`).toBeGreaterThanOrEqual(4.5);
    }
    expect(ratio('#ffffff', v('primary')), 'white on --fbx-primary').toBeGreaterThanOrEqual(4.5);
  });
});
