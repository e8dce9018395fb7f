// The destination editor's form state and its conversion to and from the
// API shape (pure; tested in Relay.test.tsx).
import type { Destination } from './api';

export interface Pair {
  key: string;
  value: string;
}

export interface DestinationForm {
  id: string;
  importer: string;
  send: string;
  url: string;
  method: string;
  batch: string;
  timeout: string;
  concurrency: string;
  rateLimit: string;
  retry: string;
  signingSecret: string;
  sessionTokenField: string;
  keepUnmapped: boolean;
  headers: Pair[];
  params: Pair[];
  map: Pair[];
  headerFields: Pair[];
  /** Comma-separated; "field" or "field:param" to rename. */
  queryParamFields: string;
  inbound: boolean;
  inboundRoute: string;
  inboundAllowed: string;
  inboundSecret: string;
}

export function emptyForm(): DestinationForm {
  return {
    id: '', importer: '', send: 'records', url: '', method: 'POST', batch: '0', timeout: '', concurrency: '', rateLimit: '',
    retry: '', signingSecret: '', sessionTokenField: '', keepUnmapped: true, headers: [], params: [], map: [], headerFields: [],
    queryParamFields: '', inbound: false, inboundRoute: '', inboundAllowed: '', inboundSecret: '',
  };
}

const pairs = (m?: Record<string, string>): Pair[] =>
  Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value }));

function fieldPairs(f?: string[] | Record<string, string>): Pair[] {
  if (!f) return [];
  if (Array.isArray(f)) return f.map((k) => ({ key: k, value: k }));
  return pairs(f);
}

export function formFromDestination(d: Destination): DestinationForm {
  const q = fieldPairs(d.query_param_fields).map((p) => (p.key === p.value ? p.key : `${p.key}:${p.value}`)).join(', ');
  return {
    id: d.id,
    importer: d.importer ?? '',
    send: d.send || 'records',
    url: d.url,
    method: d.method || 'POST',
    batch: String(d.batch ?? 0),
    timeout: d.timeout ?? '',
    concurrency: d.concurrency ? String(d.concurrency) : '',
    rateLimit: d.rate_limit ?? '',
    retry: (d.retry ?? []).join(', '),
    signingSecret: d.signing_secret ?? '',
    sessionTokenField: d.session_token_field ?? '',
    keepUnmapped: d.keep_unmapped !== false,
    headers: pairs(d.headers),
    params: pairs(d.params),
    map: pairs(d.map),
    headerFields: fieldPairs(d.header_fields),
    queryParamFields: q,
    inbound: !!d.inbound,
    inboundRoute: d.inbound?.route ?? '',
    inboundAllowed: (d.inbound?.allowed_urls ?? []).join('\n'),
    inboundSecret: d.inbound?.secret ?? '',
  };
}

function record(ps: Pair[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const p of ps) if (p.key.trim()) out[p.key.trim()] = p.value;
  return Object.keys(out).length ? out : undefined;
}

const list = (s: string, sep: RegExp) => s.split(sep).map((x) => x.trim()).filter(Boolean);

/** The API shape of the form; the server validates it (and names what is wrong). */
export function destinationFromForm(f: DestinationForm): Destination {
  const d: Destination = { id: f.id.trim(), url: f.url.trim(), batch: 0 };
  const b = f.batch.trim().toLowerCase();
  d.batch = b === 'all' ? 'all' : b === '' ? 0 : Number(b);
  if (f.importer.trim()) d.importer = f.importer.trim();
  if (f.send && f.send !== 'records') d.send = f.send;
  if (f.method && f.method !== 'POST') d.method = f.method;
  if (f.timeout.trim()) d.timeout = f.timeout.trim();
  if (f.concurrency.trim()) d.concurrency = Number(f.concurrency.trim());
  if (f.rateLimit.trim()) d.rate_limit = f.rateLimit.trim();
  const retry = list(f.retry, /,/);
  if (retry.length) d.retry = retry;
  if (f.signingSecret.trim()) d.signing_secret = f.signingSecret.trim();
  if (f.sessionTokenField.trim()) d.session_token_field = f.sessionTokenField.trim();
  if (!f.keepUnmapped) d.keep_unmapped = false;
  d.headers = record(f.headers);
  d.params = record(f.params);
  d.map = record(f.map);
  const hf = record(f.headerFields);
  if (hf) d.header_fields = hf;
  const q = list(f.queryParamFields, /,/);
  if (q.length) {
    if (q.some((x) => x.includes(':'))) {
      const m: Record<string, string> = {};
      for (const x of q) {
        const [field, name] = x.split(':').map((s) => s.trim());
        m[field] = name || field;
      }
      d.query_param_fields = m;
    } else {
      d.query_param_fields = q;
    }
  }
  if (f.inbound) {
    d.inbound = { route: f.inboundRoute.trim() };
    const allowed = list(f.inboundAllowed, /\n/);
    if (allowed.length) d.inbound.allowed_urls = allowed;
    if (f.inboundSecret.trim()) d.inbound.secret = f.inboundSecret.trim();
  }
  for (const k of Object.keys(d) as (keyof Destination)[]) if (d[k] === undefined) delete d[k];
  return d;
}

/** A sample record for the preview: the fields the destination talks about. */
export function sampleRecord(f: DestinationForm): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  const samples: Record<string, string> = {
    email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', name: 'Ada Lovelace', company: 'Analytical Engines',
    phone: '+44 20 7946 0000', plan: 'pro',
  };
  for (const p of f.map) if (p.key) rec[p.key] = samples[p.key] ?? `sample ${p.key}`;
  for (const p of f.headerFields) if (p.key && !(p.key in rec)) rec[p.key] = `sample-${p.key}`;
  for (const x of list(f.queryParamFields, /,/)) {
    const field = x.split(':')[0].trim();
    if (field && !(field in rec)) rec[field] = `sample-${field}`;
  }
  if (f.sessionTokenField) rec[f.sessionTokenField] = 'paste a session token here';
  if (Object.keys(rec).length === 0) Object.assign(rec, { email: samples.email, first_name: 'Ada' });
  return rec;
}

/** The statuses shown as pills, with their tone. */
export function statusTone(status: string): 'ok' | 'bad' | 'info' | '' {
  switch (status) {
    case 'delivered':
      return 'ok';
    case 'failed':
    case 'dead':
      return 'bad';
    case 'pending':
    case 'held':
      return 'info';
    default:
      return '';
  }
}
