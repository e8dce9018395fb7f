// WCAG 2 contrast, as the server checks a brand colour (backend/schema/contrast.go): the importer puts
// white text on the primary colour and uses the colour as text on white, so it needs 4.5:1 with white.

export const MIN_CONTRAST = 4.5;

export type RGB = [number, number, number];

/** "#rgb" or "#rrggbb" (any case) as RGB, else null. */
export function parseHex(s: string): RGB | null {
  let h = s.trim();
  if (!h.startsWith('#')) return null;
  h = h.slice(1);
  if (h.length === 3) h = [...h].map((c) => c + c).join('');
  if (!/^[0-9a-f]{6}$/i.test(h)) return null;
  const v = parseInt(h, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** WCAG relative luminance (0 black .. 1 white). */
export function luminance([r, g, b]: RGB): number {
  const ch = (v: number) => {
    const x = v / 255;
    return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
}

/** The contrast ratio of two colours (1..21). */
export function contrastRatio(a: RGB, b: RGB): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** Two decimals, never rounding a failing ratio up to the threshold (4.497 -> "4.49"). */
export function formatRatio(r: number): string {
  let out = r.toFixed(2);
  if (r < MIN_CONTRAST && out === MIN_CONTRAST.toFixed(2)) out = (Math.floor(r * 100) / 100).toFixed(2);
  return out;
}

/** Checks a brand primary colour: null when it is fine, else why not (with the ratio). */
export function checkPrimaryColor(s: string): { ratio?: number; error: string } | null {
  const c = parseHex(s);
  if (!c) return { error: `${JSON.stringify(s)} is not a colour: write it as #rrggbb (e.g. #0b7285)` };
  const ratio = contrastRatio([255, 255, 255], c);
  if (ratio < MIN_CONTRAST) {
    return {
      ratio,
      error: `${s} has a contrast ratio of ${formatRatio(ratio)}:1 with white (text on the colour and the colour on white); at least ${MIN_CONTRAST.toFixed(1)}:1 is needed: choose a darker shade`,
    };
  }
  return null;
}
