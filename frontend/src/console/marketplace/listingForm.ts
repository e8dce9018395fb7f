// The listing editor's logic, apart from React: the JSON of the Advanced tab and its checks, the
// server's error paths mapped to form fields, and the small text formats of the form's fields.
import type { MpConfigField, MpListing, MpStep } from './api';

export type StepKind = 'http_request' | 'relay_route' | 'notify';
export const stepKinds: { kind: StepKind; label: string; help: string }[] = [
  { kind: 'http_request', label: 'HTTP request', help: 'Calls an API once while installing, e.g. to check the credentials.' },
  { kind: 'relay_route', label: 'Relay route', help: 'Creates the route that sends this user\'s imports to a URL (at most one per workflow).' },
  { kind: 'notify', label: 'Message', help: 'Shows the user a message when the install gets here.' },
];
export const fieldTypes: MpConfigField['type'][] = ['text', 'textarea', 'url', 'email', 'number', 'select', 'password'];
export const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
export const knownPlaceholders = ['user.externalId', 'user.email', 'user.firstname', 'user.lastname', 'install.id', 'install.name', 'listing.id', 'fusebox.base_url'];

/** The logo limit the server applies by default (marketplace.DefaultMaxLogoBytes). */
export const MAX_LOGO_BYTES = 200 * 1024;
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'];

export function newListing(): MpListing {
  return {
    id: '',
    name: '',
    category: '',
    logo: '',
    summary: '',
    description: '',
    connector_id: '',
    config_fields: [],
    workflow: [],
  };
}

export function newField(n: number): MpConfigField {
  return { name: `field_${n}`, label: '', type: 'text', required: false, secret: false, default: '', help: '', options: null };
}

export function newStep(kind: StepKind): MpStep {
  return withKind({ kind, name: '' }, kind);
}

/** The step as another kind: the name and the fields both kinds use stay, the others go (the server refuses them). */
export function withKind(s: MpStep, kind: string): MpStep {
  const out: MpStep = { kind, name: s.name };
  if (kind === 'notify') {
    out.message = s.message ?? '';
    return out;
  }
  out.method = s.method || (kind === 'relay_route' ? 'POST' : 'GET');
  out.url = s.url ?? '';
  if (s.headers) out.headers = s.headers;
  if (kind === 'http_request') {
    if (s.body !== undefined) out.body = s.body;
    if (s.expect_status) out.expect_status = s.expect_status;
    if (s.timeout) out.timeout = s.timeout;
  } else if (s.importer) out.importer = s.importer;
  return out;
}

export function listingJSON(l: MpListing): string {
  return JSON.stringify(l, null, 2);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a JSON.parse error is: "line L, column C" from the position the engine names. */
function syntaxWhere(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1])).split('\n');
  return ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * The Advanced tab's text as a listing, or why it is none: a syntax error with its line and column,
 * or the first value whose type the form cannot show. Keys the form does not know stay.
 */
export function parseListingJSON(text: string): { ok: true; listing: MpListing } | { ok: false; error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const plain = msg.replace(/\s*(in JSON )?at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    return { ok: false, error: `The JSON is not valid${syntaxWhere(text, msg)}: ${plain}` };
  }
  if (!isObject(v)) return { ok: false, error: `The JSON must be one listing object, not ${kindOf(v)}` };
  const fail = (path: string, want: string, got: unknown) => ({ ok: false as const, error: `"${path}" must be ${want}, not ${kindOf(got).replace(/^a /, 'a ')}` });
  const l: Record<string, unknown> = { ...v };
  for (const k of ['id', 'name', 'category', 'logo', 'summary', 'description', 'connector_id']) {
    if (l[k] === undefined || l[k] === null) l[k] = '';
    else if (typeof l[k] !== 'string') return fail(k, 'text', l[k]);
  }
  if (l.config_fields === undefined || l.config_fields === null) l.config_fields = [];
  if (!Array.isArray(l.config_fields)) return fail('config_fields', 'a list (an array) of fields', l.config_fields);
  const fields: MpConfigField[] = [];
  for (const [i, f] of (l.config_fields as unknown[]).entries()) {
    const p = `config_fields[${i}]`;
    if (!isObject(f)) return fail(p, 'an object', f);
    const out: Record<string, unknown> = { ...f };
    for (const k of ['name', 'label', 'type', 'default', 'help']) {
      if (out[k] === undefined || out[k] === null) out[k] = k === 'type' ? 'text' : '';
      else if (typeof out[k] !== 'string') return fail(`${p}.${k}`, 'text', out[k]);
    }
    for (const k of ['required', 'secret']) {
      if (out[k] === undefined || out[k] === null) out[k] = false;
      else if (typeof out[k] !== 'boolean') return fail(`${p}.${k}`, 'true or false', out[k]);
    }
    if (out.options === undefined) out.options = null;
    if (out.options !== null && (!Array.isArray(out.options) || out.options.some((o) => typeof o !== 'string'))) return fail(`${p}.options`, 'a list of texts', out.options);
    fields.push(out as unknown as MpConfigField);
  }
  l.config_fields = fields;
  if (l.workflow === undefined || l.workflow === null) l.workflow = [];
  if (!Array.isArray(l.workflow)) return fail('workflow', 'a list (an array) of steps', l.workflow);
  for (const [i, s] of (l.workflow as unknown[]).entries()) {
    const p = `workflow[${i}]`;
    if (!isObject(s)) return fail(p, 'an object', s);
    for (const k of ['kind', 'name', 'method', 'url', 'timeout', 'message', 'importer']) {
      if (s[k] !== undefined && typeof s[k] !== 'string') return fail(`${p}.${k}`, 'text', s[k]);
    }
    if (s.headers !== undefined && (!isObject(s.headers) || Object.values(s.headers).some((h) => typeof h !== 'string'))) return fail(`${p}.headers`, 'an object of texts', s.headers);
    if (s.expect_status !== undefined && (!Array.isArray(s.expect_status) || s.expect_status.some((c) => typeof c !== 'number'))) return fail(`${p}.expect_status`, 'a list of numbers', s.expect_status);
  }
  if (l.connection_fields !== undefined && (!isObject(l.connection_fields) || Object.values(l.connection_fields).some((f) => typeof f !== 'string'))) {
    return fail('connection_fields', 'an object of texts', l.connection_fields);
  }
  return { ok: true, listing: l as unknown as MpListing };
}

/** A server validation message ("listing.workflow[1].url: ...") split into the path and the rest. */
export function serverError(message: string): { path: string; message: string } | null {
  const m = /^(?:listing\.)?((?:id|name|category|logo|summary|description|connector_id|config_fields|workflow|connection_fields)(?:\[\d+\]|\.[^\s:]+)*): (.*)$/s.exec(message);
  return m ? { path: m[1], message: m[2] } : null;
}

const fieldKeys = ['name', 'label', 'type', 'default', 'help', 'options'];
const stepKeys = ['kind', 'name', 'method', 'url', 'headers', 'body', 'expect_status', 'timeout', 'message', 'importer'];

/** The form slot that shows an error of this path, or "" when none does (the message goes above the form). */
export function errorSlot(path: string): string {
  if (['id', 'name', 'category', 'logo', 'summary', 'description', 'connector_id', 'config_fields', 'workflow'].includes(path)) return path;
  if (path.startsWith('connection_fields')) return 'connection_fields';
  let m = /^config_fields\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (m) return m[2] && fieldKeys.includes(m[2]) ? `config_fields[${m[1]}].${m[2]}` : `config_fields[${m[1]}]`;
  m = /^workflow\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (m) return m[2] && stepKeys.includes(m[2]) ? `workflow[${m[1]}].${m[2]}` : `workflow[${m[1]}]`;
  return '';
}

export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length || from === to) return list;
  const out = list.slice();
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x);
  return out;
}

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

// The small text formats of the form: headers "Name: value" per line, statuses "200, 201",
// select options and connection fields one per line.

export function formatHeaders(h: Record<string, string> | undefined): string {
  return Object.entries(h ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n');
}

export function parseHeaders(text: string): Parsed<Record<string, string> | undefined> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const at = line.indexOf(':');
    if (at <= 0) return { ok: false, error: `Line ${i + 1}: write Name: value` };
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { ok: true, value: Object.keys(out).length ? out : undefined };
}

export function formatStatuses(s: number[] | undefined): string {
  return (s ?? []).join(', ');
}

export function parseStatuses(text: string): Parsed<number[] | undefined> {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d{3}$/.test(p) || n < 100 || n > 599) return { ok: false, error: `"${p}" is not an HTTP status (100 to 599)` };
    out.push(n);
  }
  return { ok: true, value: out.length ? out : undefined };
}

export function formatBody(b: unknown): string {
  return b === undefined ? '' : JSON.stringify(b, null, 2);
}

export function parseBody(text: string): Parsed<unknown> {
  if (!text.trim()) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, error: `Not valid JSON${syntaxWhere(text, msg)}` };
  }
}

export function formatLines(list: string[] | null | undefined): string {
  return (list ?? []).join('\n');
}

export function parseLines(text: string): Parsed<string[] | null> {
  const out = text.split('\n').map((s) => s.trim()).filter(Boolean);
  return { ok: true, value: out.length ? out : null };
}

export function formatPairs(m: Record<string, string> | undefined): string {
  return Object.entries(m ?? {}).map(([k, v]) => `${k} = ${v}`).join('\n');
}

export function parsePairs(text: string): Parsed<Record<string, string> | undefined> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    if (at <= 0) return { ok: false, error: `Line ${i + 1}: write claim = field` };
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { ok: true, value: Object.keys(out).length ? out : undefined };
}

/** Why a logo file is refused before it is sent, or "" (the server checks the bytes again). */
export function logoProblem(f: { name: string; type: string; size: number }): string {
  if (!LOGO_TYPES.includes(f.type)) return `${f.name} is not a PNG, JPEG, WebP or SVG image`;
  if (f.size > MAX_LOGO_BYTES) return `${f.name} is larger than ${MAX_LOGO_BYTES} bytes (200 KB); make the image smaller or export it as SVG or WebP`;
  return '';
}

/**
 * The image inside a data: URI logo (base64 or percent-encoded), to store it on the server as an
 * uploaded file; null when the URI is no data: image.
 */
export function dataURIImage(uri: string): { type: string; bytes: Uint8Array } | null {
  const m = /^data:(image\/[\w.+-]+)((?:;[\w-]+=[^;,]*)*)(;base64)?,(.*)$/s.exec(uri);
  if (!m) return null;
  try {
    if (m[3]) {
      const bin = atob(m[4].replace(/\s+/g, ''));
      return { type: m[1], bytes: Uint8Array.from(bin, (c) => c.charCodeAt(0)) };
    }
    return { type: m[1], bytes: new TextEncoder().encode(decodeURIComponent(m[4])) };
  } catch {
    return null;
  }
}

/**
 * The server names only the step of a placeholder it does not know ("workflow[1]: placeholder
 * {{config.x}} names no config field"); the form marks the step's field that holds it.
 */
export function placeholderSlot(l: MpListing, slot: string, message: string): string {
  const m = /^workflow\[(\d+)\]$/.exec(slot);
  const ph = /placeholder \{\{(.+?)\}\}/.exec(message);
  const step = m ? l.workflow?.[Number(m[1])] : undefined;
  if (!step || !ph) return slot;
  const has = (v: unknown) => v !== undefined && [...JSON.stringify(v).matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)].some((x) => x[1] === ph[1]);
  for (const k of ['url', 'message', 'headers', 'body'] as const) if (has(step[k])) return `${slot}.${k}`;
  return slot;
}
