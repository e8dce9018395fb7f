// API client of the marketplace iframe. The marketplace session (after a signed-link login) is an
// opaque id kept in this frame's sessionStorage (memory when storage is blocked) and sent as the
// X-Fusebox-Marketplace-Session header: third-party iframe cookies are unreliable, and
// SameSite=None cookies need https. Requests and ApiError are the shared client's (shared/http.ts).
import { request } from '../shared/http';

export { ApiError } from '../shared/http';

export const SESSION_HEADER = 'X-Fusebox-Marketplace-Session';
const SESSION_KEY = 'fusebox.marketplace.session';
const PARENT_KEY = 'fusebox.marketplace.parent';

const memory: Record<string, string | null> = {};

function load(key: string): string | null {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return memory[key] ?? null;
  }
}

function store(key: string, value: string | null) {
  memory[key] = value;
  try {
    if (value === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch {
    // storage blocked (third-party context): memory only
  }
}

export const getSession = () => load(SESSION_KEY);
export const setSession = (s: string | null) => store(SESSION_KEY, s);
export const getStoredParent = () => load(PARENT_KEY);
export const setStoredParent = (o: string | null) => store(PARENT_KEY, o);

/** Calls the marketplace API with this frame's session (no cookies: credentials "omit"). */
export function call<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
  const sid = getSession();
  return request<T>(path, {
    method: opts.method,
    body: opts.body,
    headers: sid ? { [SESSION_HEADER]: sid } : {},
    credentials: 'omit',
    unreachable: (reason) => `cannot reach Fusebox (${reason})`,
  });
}

export interface ConfigField {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'url' | 'email' | 'number' | 'select' | 'password';
  required: boolean;
  secret: boolean;
  default: string;
  help: string;
  options: string[] | null;
}

export interface Listing {
  id: string;
  name: string;
  category: string;
  logo: string;
  summary: string;
  description: string;
  connector_id: string;
  config_fields: ConfigField[];
  steps: { kind: string; name: string }[];
}

export interface Prefill {
  values: Record<string, string>;
  secrets: string[];
  name: string;
  locked: boolean;
}

export interface StepResult {
  position: number;
  kind: string;
  name: string;
  status: 'pending' | 'running' | 'ok' | 'failed' | 'skipped';
  detail: string;
  started_at: string;
  finished_at: string;
}

export interface Install {
  id: string;
  listing_id: string;
  listing_name: string;
  name: string;
  status: 'running' | 'installed' | 'failed' | 'removed';
  enabled: boolean;
  config: Record<string, string>;
  error: string;
  created_at: string;
  updated_at: string;
  steps?: StepResult[];
}

export interface Plan {
  name: string;
  default: boolean;
  max_integrations: number;
  max_transactions: number;
  allowed_actions: string[];
  upgrade_message: string;
}

export interface Usage {
  month: string;
  integrations: number;
  max_integrations: number;
  transactions: number;
  max_transactions: number;
}

export interface EndUser {
  id: string;
  external_id: string;
  firstname: string;
  lastname: string;
  email: string;
  plan: string;
  plan_note: string;
}

export interface Me {
  user: EndUser;
  plan: Plan;
  usage: Usage;
  expires_at: string;
}

export interface Config {
  title: string;
  categories: { name: string; count: number }[];
  parent_origin: string;
}

export const api = {
  config: (origin: string, referrer: string) =>
    call<Config>(`/api/marketplace/config?${new URLSearchParams({ origin, referrer })}`),
  listings: (q: string, category: string) =>
    call<{ listings: Listing[] }>(`/api/marketplace/listings?${new URLSearchParams({ q, category })}`),
  listing: (id: string) => call<{ listing: Listing; prefill?: Prefill }>(`/api/marketplace/listings/${encodeURIComponent(id)}`),
  login: (token: string) => call<Me & { session: string }>('/api/marketplace/login', { body: { token } }),
  logout: () => call<void>('/api/marketplace/logout', { method: 'POST' }),
  me: () => call<Me>('/api/marketplace/me'),
  installs: () => call<{ installs: Install[] }>('/api/marketplace/installs'),
  install: (id: string) => call<{ install: Install }>(`/api/marketplace/installs/${encodeURIComponent(id)}`),
  startInstall: (listing_id: string, name: string, config: Record<string, string>) =>
    call<{ install: Install }>('/api/marketplace/installs', { body: { listing_id, name, config } }),
  setEnabled: (id: string, enabled: boolean) =>
    call<{ install: Install }>(`/api/marketplace/installs/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`, { method: 'POST' }),
  uninstall: (id: string) => call<{ install: Install }>(`/api/marketplace/installs/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};
