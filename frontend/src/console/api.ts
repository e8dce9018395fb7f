// API client for the console. Every call goes to the same origin that served the
// console (the window door or the localhost port), with the admin cookie when on
// the port. Server errors have one shape: {"error":{"code":"...","message":"..."}}.

/** An error from the Fusebox API (or from reaching it). `code` is the server's error code. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }

  /** True when the request lacked a valid admin login (HTTP 401). */
  get unauthorized(): boolean {
    return this.status === 401 || this.code === 'EUNAUTHORIZED';
  }
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON unless it is already a string or a Uint8Array. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const fallbackCodes: Record<number, string> = {
  400: 'EINVALID',
  401: 'EUNAUTHORIZED',
  403: 'EFORBIDDEN',
  404: 'ENOTFOUND',
  409: 'ECONFLICT',
  413: 'ETOOLARGE',
  422: 'EINVALID',
};

function isErrorBody(v: unknown): v is { error: { code?: unknown; message?: unknown } } {
  return typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'object' &&
    (v as { error?: unknown }).error !== null;
}

async function errorFrom(res: Response, method: string, path: string): Promise<ApiError> {
  let code = fallbackCodes[res.status] ?? (res.status >= 500 ? 'EINTERNAL' : 'EHTTP');
  let message = `${method} ${path}: HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isErrorBody(parsed)) {
        if (typeof parsed.error.code === 'string' && parsed.error.code) code = parsed.error.code;
        if (typeof parsed.error.message === 'string' && parsed.error.message) message = parsed.error.message;
      }
    } catch {
      // Not JSON (a proxy page, a plain-text error): keep the HTTP status message.
    }
  }
  return new ApiError(code, message, res.status);
}

/** Calls the API and decodes the JSON answer. 204 and empty bodies give `undefined`. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = (opts.method ?? (opts.body === undefined ? 'GET' : 'POST')).toUpperCase();
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string' || opts.body instanceof Uint8Array) {
      // Uint8Array rather than Blob/FormData: WebKitGTK in the desktop window
      // crashes on Blob bodies (wails issue #6068).
      body = opts.body as BodyInit;
    } else {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] ??= 'application/json';
    }
  } else if (method !== 'GET' && method !== 'HEAD') {
    // The server refuses console API changes without a JSON (or YAML) content
    // type, even bodiless ones: forms and text/plain never change state.
    headers['Content-Type'] ??= 'application/json';
  }

  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: opts.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiError('ENETWORK', `${method} ${path}: cannot reach the Fusebox server (${reason})`, 0);
  }
  if (!res.ok) throw await errorFrom(res, method, path);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError('EBADRESPONSE', `${method} ${path}: the server answered with invalid JSON`, res.status);
  }
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body }),
  put: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown) => request<T>(path, { method: 'PATCH', body }),
  del: <T>(path: string) => request<T>(path, { method: 'DELETE' }),
};

export interface DashboardStat {
  name: string;
  count: number;
}

export interface Dashboard {
  version: string;
  data_dir: string;
  db_path: string;
  schema_version: number;
  uptime_seconds: number;
  db_size_bytes: number;
  stats: DashboardStat[];
}

export interface Health {
  status: string;
  version: string;
}

export function getDashboard(signal?: AbortSignal): Promise<Dashboard> {
  return api.get<Dashboard>('/api/admin/dashboard', signal);
}

export function getHealth(signal?: AbortSignal): Promise<Health> {
  return api.get<Health>('/healthz', signal);
}

export interface Whoami {
  admin: boolean;
  door: string;
  version: string;
  /** Desktop window only: the console route to open at (`fusebox desktop --open ROUTE`). */
  open_route?: string;
}

export function getWhoami(signal?: AbortSignal): Promise<Whoami> {
  return api.get<Whoami>('/api/admin/whoami', signal);
}

/** Tells the server the console rendered (the desktop smoke test waits for its log line). */
export function reportReady(page: string, version: string): Promise<unknown> {
  return api.post('/api/admin/ready', { page, version });
}

/**
 * Tells the server the Try view's importer shows a step ("upload", "header"), with the centre of
 * that step's element in window pixels (the paste box, the first preview row); the server logs
 * "upload step ready" / "header step ready" and the desktop smoke test waits for those lines.
 */
export function reportStep(page: string, step: 'upload' | 'header', x: number, y: number): Promise<unknown> {
  return api.post('/api/admin/ready', { page, step, x, y });
}
