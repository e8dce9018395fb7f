// Custom styles from the host page (setCustomStyles in the SDK), applied as CSS variables. Values are
// checked as CSS colors first so a host cannot inject anything but a color.
import type { CustomStyles } from '../sdk/protocol';

const vars: Record<string, string> = {
  primaryColor: '--fbx-primary',
  secondaryColor: '--fbx-secondary',
  backgroundColor: '--fbx-bg',
  borderColor: '--fbx-border',
  contentColor: '--fbx-text',
};

export function isColor(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return false;
  if (!/^[#a-z0-9(),.%\s/-]+$/i.test(v)) return false;
  if (typeof CSS !== 'undefined' && typeof CSS.supports === 'function') return CSS.supports('color', v);
  return /^(#[0-9a-f]{3,8}|rgba?\([\d\s.,%]+\)|hsla?\([\d\s.,%deg]+\)|[a-z]+)$/i.test(v);
}

export function applyStyles(root: HTMLElement, s: CustomStyles) {
  for (const [name, cssVar] of Object.entries(vars)) {
    const v = (s.colors as Record<string, unknown> | undefined)?.[name];
    if (isColor(v)) root.style.setProperty(cssVar, v);
  }
}

/** The logo URL if it is an http(s) or data:image URL, else undefined. */
export function safeLogo(u: string | undefined): string | undefined {
  if (!u) return undefined;
  if (/^data:image\/(png|jpeg|gif|svg\+xml|webp);/i.test(u)) return u;
  try {
    const url = new URL(u, window.location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** An importer's branding (definition `branding:`), as the embed reads it. */
export interface BrandingInfo {
  primary_color?: string;
  logo?: string;
  title?: Record<string, string>;
  texts?: Record<string, Record<string, string>>;
}

/** The branded title for a language ("*" is every language), or undefined. */
export function brandTitle(b: BrandingInfo | undefined, locale: string): string | undefined {
  return b?.title?.[locale] || b?.title?.['*'] || undefined;
}

/** The branded message overrides for a language: "*" first, the language's own on top. */
export function brandTexts(b: BrandingInfo | undefined, locale: string): Record<string, string> | undefined {
  if (!b?.texts) return undefined;
  return { ...b.texts['*'], ...b.texts[locale] };
}
