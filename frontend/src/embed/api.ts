// The embed's client for the importer engine API (docs/importer-api.md), on the shared HTTP client
// (shared/http.ts). Every call carries the session token as a Bearer token; in the console's "Try
// this importer" there is no token and the admin login (window door or admin cookie) authorizes
// the same routes.

import type { components } from '../shared/api-types/internal';
import { ApiError, errorFrom, request } from '../shared/http';

export { ApiError };

// ---- shapes (generated from backend/httpapi/openapi-internal.json: shared/api-types) ----

type Schemas = components['schemas'];

export type ColumnType = Schemas['ColumnType'];
export type EnumValue = Schemas['EnumValue'];
export type ColumnInfo = Schemas['ColumnInfo'];

/** The importer as the wizard uses it (built from its definition by importerInfo). */
export interface ImporterInfo {
  slug: string;
  name: string;
  columns: ColumnInfo[];
  invalid_rows: Schemas['InvalidRowsPolicy'];
  allowed_file_types: string[];
  max_file_size: number;
  /** settings.unmapped_columns is keep: unmapped file columns become custom fields. */
  keep_unmapped?: boolean;
  branding?: Branding;
}

export type Branding = Schemas['ImporterBranding'];

export type ImportInfo = Schemas['ImportView'];

/** What start() answers: the new import and its importer. */
export interface StartedImport {
  import: ImportInfo;
  importer: ImporterInfo;
}

export type Detected = Schemas['Detected'];
export type FileOptions = Schemas['FileOptions'];
export type RowIssue = Schemas['RowIssue'];
export type Preview = Schemas['FilePreview'];
export type ColumnSuggestion = Schemas['ColumnSuggestion'];
export type ValueSuggestion = Schemas['ValueSuggestion'];
export type MappedColumn = Schemas['MappedColumn'];
export type Mapping = Schemas['Mapping'];
export type MappingView = Schemas['MappingView'];
export type Progress = Schemas['Progress'];
export type CellIssue = Schemas['CellIssue'];
export type IssueCode = Schemas['IssueCode'];
export type MappingChange = Schemas['MappingChange'];
export interface PatchResult {
  rows: number;
  changed: number;
  cells: number;
  version: number;
}
export type GridRow = Schemas['GridRow'];
export type RowPage = Schemas['RowPage'];

export interface RowQuery {
  /** "" = all rows, "errors" = rows with errors; new/update/unchanged: the match status (match_on). */
  filter: '' | 'errors' | 'new' | 'update' | 'unchanged';
  /** Narrows the filter to one column (key). */
  column?: string;
  q?: string;
}

export type ColumnSummary = Schemas['ColumnSummary'];
export type Summary = Schemas['ImportSummary'];
export type EditResult = Schemas['EditResult'];
export type ReplaceInput = Schemas['ReplaceInput'];
export type ReplaceResult = Schemas['ReplaceResult'];

// ---- client ----

/** Route paths of the engine API (docs/importer-api.md), in one place. */
const P = '/api/importer/imports';
const I = (s: string) => `${P}/${encodeURIComponent(s)}`;
export const paths = {
  importer: '/api/importer/importer',
  template: (format: 'csv' | 'xlsx') => `/api/importer/importer/template?format=${format}`,
  imports: P,
  import: I,
  file: (s: string) => `${I(s)}/file`,
  upload: (s: string) => `${I(s)}/upload`,
  preview: (s: string) => `${I(s)}/preview`,
  header: (s: string) => `${I(s)}/header`,
  progress: (s: string) => `${I(s)}/progress`,
  mapping: (s: string) => `${I(s)}/mapping`,
  rows: (s: string) => `${I(s)}/rows`,
  row: (s: string, row: number) => `${I(s)}/rows/${row}`,
  deleteRows: (s: string) => `${I(s)}/rows/delete`,
  replace: (s: string) => `${I(s)}/replace`,
  undo: (s: string) => `${I(s)}/undo`,
  redo: (s: string) => `${I(s)}/redo`,
  summary: (s: string) => `${I(s)}/summary`,
  submit: (s: string) => `${I(s)}/submit`,
  cancel: (s: string) => `${I(s)}/cancel`,
  errorsFile: (s: string, format: 'csv' | 'xlsx') => `${I(s)}/errors.${format}`,
  patchErrors: (s: string) => `${I(s)}/errors/patch`,
};

/** The importer definition as GET /api/importer/importer answers it. */
interface ImporterDefinition {
  slug: string;
  name: string;
  columns: (Omit<ColumnInfo, 'label' | 'required'> & { label?: string; required?: boolean })[];
  settings?: {
    invalid_rows?: string;
    allowed_file_types?: string[];
    max_file_size?: string | number;
    max_file_bytes?: number;
    unmapped_columns?: string;
  };
  branding?: Branding;
}

/** The server's default upload cap (importer.DefaultMaxFileSize): 100 MB. */
export const DEFAULT_MAX_FILE_BYTES = 100_000_000;

/** Parses an importer's max_file_size ("1048576", "100MB", "1.5 GB", "512k") like the server does. */
export function parseByteSize(v: string | number | undefined): number {
  if (typeof v === 'number') return v > 0 ? v : DEFAULT_MAX_FILE_BYTES;
  const s = (v ?? '').trim().toUpperCase();
  if (!s) return DEFAULT_MAX_FILE_BYTES;
  const units: [string, number][] = [
    ['GIB', 2 ** 30], ['MIB', 2 ** 20], ['KIB', 2 ** 10], ['GB', 1e9], ['MB', 1e6], ['KB', 1e3],
    ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10], ['B', 1],
  ];
  let mult = 1;
  let num = s;
  for (const [suffix, m] of units) {
    if (s.endsWith(suffix)) {
      mult = m;
      num = s.slice(0, -suffix.length).trim();
      break;
    }
  }
  const n = Number(num);
  return Number.isFinite(n) && n > 0 ? Math.floor(n * mult) : DEFAULT_MAX_FILE_BYTES;
}

export function importerInfo(def: ImporterDefinition): ImporterInfo {
  const st = def.settings ?? {};
  const policy = st.invalid_rows === 'exclude' || st.invalid_rows === 'include' ? st.invalid_rows : 'block';
  return {
    slug: def.slug,
    name: def.name || def.slug,
    columns: def.columns.map((c) => ({ ...c, label: c.label || c.key, required: !!c.required })),
    invalid_rows: policy,
    allowed_file_types: (st.allowed_file_types ?? []).map((x) => x.toLowerCase()),
    max_file_size: st.max_file_bytes ?? parseByteSize(st.max_file_size),
    keep_unmapped: st.unmapped_columns === 'keep',
    branding: def.branding,
  };
}

/** A file to upload: a browser File, or bytes (pasted text, the desktop window). */
export interface UploadSource {
  name: string;
  size: number;
  file?: File;
  bytes?: Uint8Array;
}

export interface EmbedApiOptions {
  token?: string;
  /**
   * Send uploads as a Uint8Array body instead of the File (the desktop window: WebKitGTK 4.1 crashes
   * on Blob/FormData bodies).
   */
  bytesOnly?: boolean;
  /** Called on any 401 (expired or revoked session): the flow cannot go on. */
  onUnauthorized?: (err: ApiError) => void;
}

/** How much of a resumable upload the server keeps (GET .../upload). */
export interface UploadState {
  offset: number;
  total: number;
  name?: string;
  complete: boolean;
}

/** How many times an upload cut by the network is resumed, and the first pause (doubled each time). */
export const UPLOAD_RETRIES = 4;
export const UPLOAD_BACKOFF_MS = 500;

/**
 * A failure worth resuming after: the network, a proxy or server going away (502, 503, 504), a
 * rate limit (429), or a range that no longer starts where the server stands (409: it kept more or
 * less than this page knew). A 500 is the server's own failure and is not retried.
 */
function retryable(e: ApiError): boolean {
  if (e.status === 0) return e.code === 'ENETWORK';
  if (e.status === 409) return /continue from byte/.test(e.message);
  return [429, 502, 503, 504].includes(e.status);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('upload aborted', 'AbortError'));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new DOMException('upload aborted', 'AbortError'));
      },
      { once: true },
    );
  });
}

export class EmbedApi {
  private token?: string;
  readonly bytesOnly: boolean;
  private readonly onUnauthorized?: (err: ApiError) => void;

  constructor(opts: EmbedApiOptions = {}) {
    this.token = opts.token;
    this.bytesOnly = opts.bytesOnly ?? false;
    this.onUnauthorized = opts.onUnauthorized;
  }

  /** Passes a 401 to onUnauthorized and returns the error to throw. */
  private seen(err: ApiError): ApiError {
    if (err.status === 401) this.onUnauthorized?.(err);
    return err;
  }

  /** The session's credentials: the token as a Bearer token (none in the console's Try view). */
  private auth(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    try {
      return await request<T>(path, {
        method,
        body,
        headers: this.auth(),
        signal,
        unreachable: (reason) => `cannot reach the importer server (${reason})`,
      });
    } catch (e) {
      throw e instanceof ApiError ? this.seen(e) : e;
    }
  }

  /** The session's importer (an admin names it). */
  async importer(adminSlug?: string): Promise<ImporterInfo> {
    const q = adminSlug ? `?slug=${encodeURIComponent(adminSlug)}` : '';
    return importerInfo(await this.call<ImporterDefinition>('GET', paths.importer + q));
  }

  /**
   * The importer's template file (header row, example row) as a Blob. Fetched with the session's
   * credentials, so the page saves it through an object URL.
   */
  async template(format: 'csv' | 'xlsx', adminSlug?: string): Promise<Blob> {
    const q = adminSlug ? `&slug=${encodeURIComponent(adminSlug)}` : '';
    let res: Response;
    try {
      res = await fetch(paths.template(format) + q, { headers: this.auth(), credentials: 'same-origin' });
    } catch (e) {
      throw new ApiError('EUNAVAILABLE', `cannot reach the importer server (${e instanceof Error ? e.message : String(e)})`, 0);
    }
    if (!res.ok) throw this.seen(await errorFrom(res, 'the template'));
    return res.blob();
  }

  /** Starts a new import for the session (an admin names the importer, and may give the import's
   * session metadata). */
  async start(adminSlug?: string, adminMetadata?: Record<string, unknown>): Promise<StartedImport> {
    const importer = await this.importer(adminSlug);
    const body = adminSlug ? { importer_slug: adminSlug, ...(adminMetadata ? { metadata: adminMetadata } : {}) } : {};
    const imp = await this.call<ImportInfo>('POST', paths.imports, body);
    return { import: imp, importer };
  }

  getImport(slug: string): Promise<ImportInfo> {
    return this.call('GET', paths.import(slug));
  }

  /**
   * Uploads the file as the raw request body, as one range of a resumable upload
   * (`Content-Range: bytes 0-(size-1)/size`). When the connection fails mid-way (a flaky phone
   * network, a replica that went away, a 502/503 from a proxy), it asks the server how much it
   * kept (`GET .../upload`) and sends the rest from there, up to UPLOAD_RETRIES times with a
   * growing pause. In browsers each range goes through XMLHttpRequest, whose upload events drive a
   * real progress bar (fetch has none); `onProgress` gets bytes sent and total. In the desktop
   * window (`bytesOnly`) the body is a Uint8Array sent with fetch — the one body kind
   * WebKitGTK's custom-scheme handler takes without crashing (no Blob, no FormData).
   */
  async upload(slug: string, src: UploadSource, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<Preview> {
    const url = `${paths.file(slug)}?name=${encodeURIComponent(src.name)}`;
    let bytes: Uint8Array | undefined;
    if (this.bytesOnly || (!src.file && src.bytes)) {
      bytes = src.bytes ?? (src.file ? new Uint8Array(await src.file.arrayBuffer()) : undefined);
      if (!bytes) throw new ApiError('EINVALID', 'nothing to upload', 0);
    } else if (!src.file) {
      throw new ApiError('EINVALID', 'nothing to upload', 0);
    }
    const size = bytes ? bytes.length : (src.file as File).size;
    // an empty file has no byte range to send (the upload step refuses it before this)
    if (size === 0) throw new ApiError('EINVALID', `${src.name} is empty`, 0);
    let offset = 0;
    for (let attempt = 0; ; attempt++) {
      // the File itself from byte 0: Chromium copies a slice of a file into memory before
      // sending it, a File it streams from disk (110 MB: seconds before the first byte)
      const file = src.file as File;
      const body = bytes ? bytes.subarray(offset) : offset === 0 ? file : file.slice(offset);
      const range = `bytes ${offset}-${size - 1}/${size}`;
      try {
        const res = await this.sendRange(url, body, range, (sent) => onProgress(offset + sent, size), signal);
        if (res.preview) {
          onProgress(size, size);
          return res.preview;
        }
        offset = res.offset; // 202: the server has more to take
        attempt = -1;
        continue;
      } catch (e) {
        if (!(e instanceof ApiError) || !retryable(e) || attempt >= UPLOAD_RETRIES) throw e;
      }
      await pause(UPLOAD_BACKOFF_MS * 2 ** attempt, signal);
      try {
        const st = await this.call<UploadState>('GET', paths.upload(slug), undefined, signal);
        // the server's upload is this file's unless it was replaced: then start again
        offset = !st.complete && st.total === size ? st.offset : 0;
      } catch (e) {
        if (!(e instanceof ApiError) || !retryable(e)) throw e;
        // the offset is asked again after the next failure; this range starts where it was
      }
    }
  }

  /** Sends one range of the file and reads the answer. */
  private sendRange(
    url: string,
    body: Uint8Array | Blob,
    range: string,
    onSent: (sent: number) => void,
    signal?: AbortSignal,
  ): Promise<{ preview?: Preview; offset: number }> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...this.auth(),
      'Content-Type': 'application/octet-stream',
      'Content-Range': range,
    };
    const answer = (status: number, text: string): { preview?: Preview; offset: number } => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiError('EBADRESPONSE', 'the server answered the upload with invalid JSON', status);
      }
      if (status === 202) return { offset: (parsed as UploadState).offset };
      return { preview: parsed as Preview, offset: 0 };
    };
    if (body instanceof Uint8Array) {
      // fetch reports no upload progress; the bytes are local, so the bar goes to "reading" at once.
      onSent(body.length);
      return (async () => {
        let res: Response;
        try {
          res = await fetch(url, { method: 'PUT', headers, body: body as unknown as BodyInit, credentials: 'same-origin', signal });
        } catch (e) {
          if (e instanceof DOMException && e.name === 'AbortError') throw e;
          throw new ApiError('ENETWORK', `the upload was interrupted (${e instanceof Error ? e.message : String(e)})`, 0);
        }
        if (!res.ok) throw this.seen(await errorFrom(res, 'upload'));
        return answer(res.status, await res.text());
      })();
    }
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => onSent(e.loaded);
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(answer(xhr.status, xhr.responseText));
          } catch (e) {
            reject(e);
          }
        } else {
          void errorFrom({ status: xhr.status, text: xhr.responseText }, 'upload').then((e) => reject(this.seen(e)));
        }
      };
      xhr.onerror = () => reject(new ApiError('ENETWORK', 'the upload was interrupted (network error)', 0));
      xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'));
      signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(body);
    });
  }

  /**
   * Desktop window, admin only: the server reads a file the native dialog chose
   * (POST /api/admin/importer/imports/{slug}/file-from-path), so no file body crosses WebKitGTK.
   */
  uploadFromPath(slug: string, path: string): Promise<Preview> {
    return this.call('POST', `/api/admin/importer/imports/${encodeURIComponent(slug)}/file-from-path`, { path });
  }

  preview(slug: string): Promise<Preview> {
    return this.call('GET', paths.preview(slug));
  }

  setOptions(slug: string, o: FileOptions): Promise<Preview> {
    return this.call('POST', paths.header(slug), o);
  }

  progress(slug: string, signal?: AbortSignal): Promise<Progress> {
    return this.call('GET', paths.progress(slug), undefined, signal);
  }

  mapping(slug: string): Promise<MappingView> {
    return this.call('GET', paths.mapping(slug));
  }

  /**
   * Confirms the mapping; the server starts staging (parse + validate), followed with progress().
   * For an import already in review, `edits` says which edits were kept and which columns' were dropped.
   */
  confirmMapping(slug: string, m: Mapping): Promise<{ edits?: MappingChange }> {
    return this.call('PUT', paths.mapping(slug), m);
  }

  rows(slug: string, q: RowQuery, offset: number, limit: number, signal?: AbortSignal): Promise<RowPage> {
    const p = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    if (q.filter) p.set('filter', q.filter);
    if (q.column) p.set('column', q.column);
    if (q.q) p.set('q', q.q);
    return this.call('GET', `${paths.rows(slug)}?${p}`, undefined, signal);
  }

  summary(slug: string, signal?: AbortSignal): Promise<Summary> {
    return this.call('GET', paths.summary(slug), undefined, signal);
  }

  editCell(slug: string, row: number, key: string, value: string): Promise<EditResult> {
    return this.call('PATCH', paths.row(slug, row), { values: { [key]: value } });
  }

  replace(slug: string, r: ReplaceInput): Promise<ReplaceResult> {
    return this.call('POST', paths.replace(slug), r);
  }

  deleteRows(slug: string, rows: number[]): Promise<{ deleted: number; version: number }> {
    return this.call('POST', paths.deleteRows(slug), { rows });
  }

  /** Deletes every row with errors (one undoable edit). */
  deleteErrorRows(slug: string): Promise<{ deleted: number; version: number }> {
    return this.call('POST', paths.deleteRows(slug), { filter: 'errors' });
  }

  /** Deletes every row of the import (the review's select-all; one undoable edit). */
  deleteAllRows(slug: string): Promise<{ deleted: number; version: number }> {
    return this.call('POST', paths.deleteRows(slug), { filter: 'all' });
  }

  /** The rows with errors as a fix file (row id, values, errors) to edit in a spreadsheet. */
  async errorsFile(slug: string, format: 'csv' | 'xlsx'): Promise<{ blob: Blob; name: string }> {
    let res: Response;
    try {
      res = await fetch(paths.errorsFile(slug, format), { headers: this.auth(), credentials: 'same-origin' });
    } catch (e) {
      throw new ApiError('ENETWORK', `cannot reach the importer server (${e instanceof Error ? e.message : String(e)})`, 0);
    }
    if (!res.ok) throw this.seen(await errorFrom(res, 'download'));
    const cd = res.headers.get('Content-Disposition') ?? '';
    const name = /filename="?([^";]+)"?/.exec(cd)?.[1] ?? `errors.${format}`;
    return { blob: await res.blob(), name };
  }

  /**
   * Sends a fixed errors file back: the rows it names change (one undoable edit). The body is a
   * Uint8Array, which every door takes (the desktop window crashes on Blob bodies).
   */
  async patchErrors(slug: string, file: File): Promise<PatchResult> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let res: Response;
    try {
      res = await fetch(`${paths.patchErrors(slug)}?name=${encodeURIComponent(file.name)}`, {
        method: 'POST',
        headers: { Accept: 'application/json', ...this.auth(), 'Content-Type': 'application/octet-stream' },
        body: bytes as unknown as BodyInit,
        credentials: 'same-origin',
      });
    } catch (e) {
      throw new ApiError('ENETWORK', `the upload was interrupted (${e instanceof Error ? e.message : String(e)})`, 0);
    }
    if (!res.ok) throw this.seen(await errorFrom(res, 'upload'));
    return (await res.json()) as PatchResult;
  }

  undo(slug: string): Promise<unknown> {
    return this.call('POST', paths.undo(slug));
  }

  redo(slug: string): Promise<unknown> {
    return this.call('POST', paths.redo(slug));
  }

  /**
   * Records that the end user cancelled (the console lists the import as cancelled; the server drops
   * its file and rows). Sent before the host page is told, and with keepalive: the host removes the
   * frame at once. Never throws: cancelling goes on whatever the server says.
   */
  async cancel(slug: string): Promise<void> {
    try {
      await fetch(paths.cancel(slug), {
        method: 'POST',
        headers: { ...this.auth(), 'Content-Type': 'application/json', Accept: 'application/json' },
        credentials: 'same-origin',
        keepalive: true,
      });
    } catch {
      // unreachable: the import is left as it was and counts as abandoned after a day
    }
  }

  submit(slug: string): Promise<ImportInfo> {
    return this.call('POST', paths.submit(slug));
  }
}
