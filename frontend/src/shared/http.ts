// The one HTTP client of every Fusebox page (console, importer iframe, marketplace iframe). Each
// surface adds its own credentials: the console relies on the admin login (window door or admin
// cookie), the importer iframe sends its session token as a Bearer token, the marketplace iframe
// its session id in a header. Server errors have one shape: {"error":{"code":"...","message":"..."}}.

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

  /** True when the request lacked valid credentials (HTTP 401). */
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
  /** fetch credentials; "same-origin" unless the surface says otherwise (the marketplace: "omit"). */
  credentials?: RequestCredentials;
  /** "json" (default): decode the answer; "text": the answer as is (an exported YAML file). */
  as?: 'json' | 'text';
  /** The message of an unreachable server, given the fetch failure's reason. */
  unreachable?: (reason: string) => string;
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

/**
 * The ApiError of a failed answer: the server's code and message when the body has the error
 * shape, else a code from the status and "<what>: HTTP <status>". Takes a fetch Response or what an
 * XMLHttpRequest got.
 */
export async function errorFrom(res: Response | { status: number; statusText?: string; text: string }, what: string): Promise<ApiError> {
  const status = res.status;
  let code = fallbackCodes[status] ?? (status >= 500 ? 'EINTERNAL' : 'EHTTP');
  let message = `${what}: HTTP ${status}${res.statusText ? ' ' + res.statusText : ''}`;
  const text = res instanceof Response ? await res.text().catch(() => '') : res.text;
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
  return new ApiError(code, message, status);
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
    res = await fetch(path, { method, headers, body, credentials: opts.credentials ?? 'same-origin', signal: opts.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    const reason = err instanceof Error ? err.message : String(err);
    const message = opts.unreachable ? opts.unreachable(reason) : `${method} ${path}: cannot reach the Fusebox server (${reason})`;
    throw new ApiError('ENETWORK', message, 0);
  }
  if (!res.ok) throw await errorFrom(res, `${method} ${path}`);
  if (opts.as === 'text') return (await res.text()) as T;
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError('EBADRESPONSE', `${method} ${path}: the server answered with invalid JSON`, res.status);
  }
}
