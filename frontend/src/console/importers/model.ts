// The console importer editor's state: a draft of one importer definition (the shape of
// GET/PUT /api/admin/importers/{slug}, see backend/schema/definition.go), the pure edits on it
// (add / remove / reorder columns, validations, transformations, enum values), the mapping of the
// server's validation message to the fields it names, and the YAML the workspace file would hold.

export const COLUMN_TYPES = ['string', 'integer', 'float', 'boolean', 'date', 'datetime', 'time', 'email', 'url', 'phone', 'enum'] as const;
export const VALIDATORS = ['contain', 'cannot_contain', 'max_length', 'min_length', 'length_exactly', 'regex', 'greater_than', 'less_than', 'even', 'odd', 'before_date', 'after_date'] as const;
export const TRANSFORMERS = ['uppercase', 'lowercase', 'capitalize', 'sentence_case', 'trim_whitespace', 'round', 'floor', 'ceiling', 'number_of_decimals', 'autoformat', 'prefix'] as const;
export const FILE_TYPES = ['csv', 'tsv', 'txt', 'xlsx', 'json'] as const;
export const INVALID_ROWS = ['block', 'exclude', 'include'] as const;

/** Validators and transformers that take no value. */
export const NO_VALUE = new Set<string>(['even', 'odd', 'uppercase', 'lowercase', 'capitalize', 'sentence_case', 'trim_whitespace', 'round', 'floor', 'ceiling']);

// ---- the API shape ----

export interface EnumValue { value: string; label?: string; alternates?: string[] }
export interface Validation { type: string; value?: string; message?: string; severity?: string }
export interface Transformation { type: string; value?: string }
export interface Column {
  key: string;
  label: string;
  description?: string;
  example?: string;
  type: string;
  required?: boolean;
  unique?: string;
  unique_with?: string[];
  default?: string;
  alternates?: string[];
  values?: EnumValue[];
  pattern?: string;
  validations?: Validation[];
  transformations?: Transformation[];
}
export interface Settings {
  invalid_rows?: string;
  session_ttl?: string;
  allowed_file_types?: string[];
  max_file_size?: string;
  allowed_origins?: string[];
  unmapped_columns?: string;
}
/** What the end user sees (backend/schema/brand.go): colour, logo, per-language title and texts. */
export interface Branding {
  primary_color?: string;
  logo?: string;
  title?: Record<string, string>;
  texts?: Record<string, Record<string, string>>;
}
/** The host's validation service (backend/schema/hooks.go); kept as it is, not edited in the console. */
export interface Callback { url: string; batch?: number; timeout?: string; signing_secret?: string }
/** JavaScript hooks (docs/hooks.md): function sources, run on every row in a sandbox. */
export interface Hooks {
  row?: string;
  column?: Record<string, string>;
  call_timeout?: string;
  import_timeout?: string;
  memory?: string;
  validate?: Callback;
}
export interface Importer {
  slug: string;
  name: string;
  description?: string;
  columns: Column[];
  settings?: Settings;
  branding?: Branding;
  hooks?: Hooks;
  match_on?: string[];
  match_scope?: string;
  match_user_key?: string;
  created_at?: string;
  updated_at?: string;
}

// ---- the draft (what the form edits) ----
// Lists typed as text (alternates, unique_with, origins) stay text while editing so that typing
// "a, " is not normalised under the cursor; `toDefinition` splits them.

export interface DraftEnumValue { id: number; value: string; label: string; alternates: string }
export interface DraftValidation { id: number; type: string; value: string; message: string; severity: string }
export interface DraftTransformation { id: number; type: string; value: string }
export interface DraftColumn {
  id: number;
  key: string;
  label: string;
  description: string;
  example: string;
  type: string;
  required: boolean;
  unique: string;
  uniqueWith: string;
  default: string;
  alternates: string;
  values: DraftEnumValue[];
  pattern: string;
  validations: DraftValidation[];
  transformations: DraftTransformation[];
}
export type Matching = Pick<Importer, 'match_on' | 'match_scope' | 'match_user_key'>;

export interface Draft {
  slug: string;
  name: string;
  description: string;
  invalidRows: string;
  sessionTTL: string;
  fileTypes: string[];
  maxFileSize: string;
  origins: string;
  unmappedColumns: string;
  /** Kept as the API shape: the branding form edits it in place. */
  branding: Branding;
  columns: DraftColumn[];
  /** Kept as the API shape: the hook editor (HookEditor.tsx) edits the sources in place. */
  hooks: Hooks;
  /** match_on, match_scope, match_user_key as the API has them: the Matching card edits them
   * (setMatchColumn, setMatching); a renamed or removed column is followed. */
  matching: Matching;
}

let nextId = 1;
/** A fresh id for list items (React keys that survive reordering). */
export function uid(): number {
  return nextId++;
}

const join = (a?: string[]) => (a ?? []).join(', ');
const split = (s: string, sep: RegExp = /,/) => s.split(sep).map((x) => x.trim()).filter(Boolean);

export function newColumn(existing: DraftColumn[] = []): DraftColumn {
  let n = existing.length + 1;
  const keys = new Set(existing.map((c) => c.key));
  while (keys.has(`column_${n}`)) n++;
  return {
    id: uid(), key: `column_${n}`, label: `Column ${n}`, description: '', example: '', type: 'string', required: false, unique: '',
    uniqueWith: '', default: '', alternates: '', values: [], pattern: '', validations: [], transformations: [],
  };
}

export function newDraft(): Draft {
  return {
    slug: '', name: '', description: '', invalidRows: '', sessionTTL: '', fileTypes: [], maxFileSize: '', origins: '',
    unmappedColumns: '', branding: {}, columns: [newColumn()], hooks: {}, matching: {},
  };
}

export function fromDefinition(imp: Importer): Draft {
  const st = imp.settings ?? {};
  return {
    slug: imp.slug,
    name: imp.name,
    description: imp.description ?? '',
    invalidRows: st.invalid_rows ?? '', // '' = not set (block); kept as written so a save changes nothing else
    sessionTTL: st.session_ttl ?? '',
    fileTypes: [...(st.allowed_file_types ?? [])],
    maxFileSize: st.max_file_size ?? '',
    origins: (st.allowed_origins ?? []).join('\n'),
    unmappedColumns: st.unmapped_columns ?? '',
    branding: imp.branding ?? {},
    hooks: imp.hooks ?? {},
    matching: {
      ...(imp.match_on ? { match_on: imp.match_on } : {}),
      ...(imp.match_scope ? { match_scope: imp.match_scope } : {}),
      ...(imp.match_user_key ? { match_user_key: imp.match_user_key } : {}),
    },
    columns: (imp.columns ?? []).map((c) => ({
      id: uid(),
      key: c.key,
      label: c.label ?? '',
      description: c.description ?? '',
      example: c.example ?? '',
      type: c.type || 'string',
      required: !!c.required,
      unique: c.unique === 'true' ? 'case_sensitive' : c.unique === 'false' ? '' : (c.unique ?? ''),
      uniqueWith: join(c.unique_with),
      default: c.default ?? '',
      alternates: join(c.alternates),
      values: (c.values ?? []).map((v) => ({ id: uid(), value: v.value, label: v.label ?? '', alternates: join(v.alternates) })),
      pattern: c.pattern ?? '',
      validations: (c.validations ?? []).map((v) => ({
        id: uid(), type: v.type, value: v.value ?? '', message: v.message ?? '', severity: v.severity ?? '',
      })),
      transformations: (c.transformations ?? []).map((t) => ({ id: uid(), type: t.type, value: t.value ?? '' })),
    })),
  };
}

/** The definition the API takes (empty optional fields left out, so the YAML stays minimal). */
export function toDefinition(d: Draft): Importer {
  const settings: Settings = {};
  if (d.invalidRows) settings.invalid_rows = d.invalidRows;
  if (d.sessionTTL.trim()) settings.session_ttl = d.sessionTTL.trim();
  if (d.fileTypes.length) settings.allowed_file_types = FILE_TYPES.filter((t) => d.fileTypes.includes(t));
  if (d.maxFileSize.trim()) settings.max_file_size = d.maxFileSize.trim();
  const origins = split(d.origins, /[\n,]/);
  if (origins.length) settings.allowed_origins = origins;
  if (d.unmappedColumns) settings.unmapped_columns = d.unmappedColumns;
  const branding = cleanBranding(d.branding);
  const columns = d.columns.map((c) => toColumn(c));
  const hooks = cleanHooks(d.hooks);
  // key order as the server exports it: slug, name, description, columns, settings, branding, hooks, match_*
  const imp: Importer = {
    slug: d.slug.trim(),
    name: d.name,
    ...(d.description.trim() ? { description: d.description } : {}),
    columns,
    ...(Object.keys(settings).length ? { settings } : {}),
    ...(branding ? { branding } : {}),
    ...(hooks ? { hooks } : {}),
    ...cleanMatching(d.matching),
  };
  return imp;
}

/** The matching fields the API takes: none without match_on (the server refuses a scope without
 * it), no user key outside the user scope. */
export function cleanMatching(m: Matching): Matching {
  if (!m.match_on?.length) return {};
  const user = m.match_scope === 'user';
  return {
    match_on: m.match_on,
    ...(m.match_scope ? { match_scope: m.match_scope } : {}),
    ...(user && m.match_user_key?.trim() ? { match_user_key: m.match_user_key.trim() } : {}),
  };
}

/** Adds the column `key` to match_on (after those chosen before: the order makes the key) or
 * takes it out. */
export function setMatchColumn(d: Draft, key: string, on: boolean): Draft {
  const cur = (d.matching.match_on ?? []).filter((k) => k !== key);
  const match_on = on ? [...cur, key] : cur;
  return { ...d, matching: { ...d.matching, match_on: match_on.length ? match_on : undefined } };
}

/** Sets the scope or the user key. */
export function setMatching(d: Draft, patch: Pick<Matching, 'match_scope' | 'match_user_key'>): Draft {
  return { ...d, matching: { ...d.matching, ...patch } };
}

/** match_on after a column key changed from `from` to `to` (null: the column was removed). */
function followKey(m: Matching, from: string, to: string | null): Matching {
  if (!m.match_on?.includes(from) || from === to) return m;
  const match_on = to !== null ? m.match_on.map((k) => (k === from ? to : k)) : m.match_on.filter((k) => k !== from);
  return { ...m, match_on: match_on.length ? match_on : undefined };
}

/** The hooks without empty sources, or undefined when nothing is left. */
export function cleanHooks(h: Hooks): Hooks | undefined {
  const out: Hooks = {};
  if (h.row?.trim()) out.row = h.row;
  const column = Object.fromEntries(Object.entries(h.column ?? {}).filter(([, src]) => src.trim()));
  if (Object.keys(column).length) out.column = column;
  if (h.call_timeout) out.call_timeout = h.call_timeout;
  if (h.import_timeout) out.import_timeout = h.import_timeout;
  if (h.memory) out.memory = h.memory;
  if (h.validate) out.validate = h.validate;
  return Object.keys(out).length ? out : undefined;
}

/** The branding without empty entries, or undefined when nothing is set. */
export function cleanBranding(b: Branding): Branding | undefined {
  const out: Branding = {};
  if (b.primary_color?.trim()) out.primary_color = b.primary_color.trim();
  if (b.logo) out.logo = b.logo;
  const title = Object.fromEntries(Object.entries(b.title ?? {}).filter(([, v]) => v.trim()));
  if (Object.keys(title).length) out.title = title;
  const texts: Record<string, Record<string, string>> = {};
  for (const [lang, m] of Object.entries(b.texts ?? {})) {
    const kept = Object.fromEntries(Object.entries(m).filter(([, v]) => v.trim()));
    if (Object.keys(kept).length) texts[lang] = kept;
  }
  if (Object.keys(texts).length) out.texts = texts;
  return Object.keys(out).length ? out : undefined;
}

function toColumn(c: DraftColumn): Column {
  const col: Column = {
    key: c.key,
    label: c.label,
    ...(c.description.trim() ? { description: c.description } : {}),
    ...(c.example.trim() ? { example: c.example } : {}),
    type: c.type,
  };
  if (c.required) col.required = true;
  if (c.unique) col.unique = c.unique;
  const uw = split(c.uniqueWith);
  if (uw.length) col.unique_with = uw;
  if (c.default !== '') col.default = c.default;
  const alts = split(c.alternates);
  if (alts.length) col.alternates = alts;
  if (c.type === 'enum' || c.values.length) {
    col.values = c.values.map((v) => {
      const ev: EnumValue = { value: v.value };
      if (v.label) ev.label = v.label;
      const a = split(v.alternates);
      if (a.length) ev.alternates = a;
      return ev;
    });
  }
  if (c.pattern.trim()) col.pattern = c.pattern.trim();
  if (c.validations.length) {
    col.validations = c.validations.map((v) => {
      const out: Validation = { type: v.type };
      if (v.value !== '' && !NO_VALUE.has(v.type)) out.value = v.value;
      if (v.message) out.message = v.message;
      if (v.severity) out.severity = v.severity;
      return out;
    });
  }
  if (c.transformations.length) {
    col.transformations = c.transformations.map((t) => {
      const out: Transformation = { type: t.type };
      if (t.value !== '' && !NO_VALUE.has(t.type)) out.value = t.value;
      return out;
    });
  }
  return col;
}

// ---- edits (pure: each returns a new draft) ----

export function addColumn(d: Draft): Draft {
  return { ...d, columns: [...d.columns, newColumn(d.columns)] };
}

export function removeColumn(d: Draft, id: number): Draft {
  const gone = d.columns.find((c) => c.id === id);
  return { ...d, columns: d.columns.filter((c) => c.id !== id), matching: gone ? followKey(d.matching, gone.key, null) : d.matching };
}

/** Moves the column with id by delta places (-1 up, +1 down); out of range does nothing. */
export function moveColumn(d: Draft, id: number, delta: number): Draft {
  const from = d.columns.findIndex((c) => c.id === id);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= d.columns.length) return d;
  const cols = [...d.columns];
  const [c] = cols.splice(from, 1);
  cols.splice(to, 0, c);
  return { ...d, columns: cols };
}

export function updateColumn(d: Draft, id: number, patch: Partial<DraftColumn>): Draft {
  const old = d.columns.find((c) => c.id === id);
  const matching = old && patch.key !== undefined ? followKey(d.matching, old.key, patch.key) : d.matching;
  return { ...d, columns: d.columns.map((c) => (c.id === id ? { ...c, ...patch } : c)), matching };
}

/** Updates item `itemId` of one of a column's lists (validations, transformations, values). */
export function updateItem<K extends 'validations' | 'transformations' | 'values'>(
  d: Draft, colId: number, list: K, itemId: number, patch: Partial<DraftColumn[K][number]>,
): Draft {
  return {
    ...d,
    columns: d.columns.map((c) =>
      c.id !== colId ? c : { ...c, [list]: (c[list] as { id: number }[]).map((it) => (it.id === itemId ? { ...it, ...patch } : it)) },
    ),
  };
}

export function addItem(d: Draft, colId: number, list: 'validations' | 'transformations' | 'values'): Draft {
  const item =
    list === 'validations' ? { id: uid(), type: 'max_length', value: '', message: '', severity: '' }
    : list === 'transformations' ? { id: uid(), type: 'trim_whitespace', value: '' }
    : { id: uid(), value: '', label: '', alternates: '' };
  return { ...d, columns: d.columns.map((c) => (c.id !== colId ? c : { ...c, [list]: [...c[list], item] })) };
}

export function removeItem(d: Draft, colId: number, list: 'validations' | 'transformations' | 'values', itemId: number): Draft {
  return {
    ...d,
    columns: d.columns.map((c) => (c.id !== colId ? c : { ...c, [list]: (c[list] as { id: number }[]).filter((it) => it.id !== itemId) })),
  };
}

// ---- the server's validation message -> fields ----

/** One problem the server named: `column` is the column's index in the draft (null: importer-wide). */
export interface FieldError {
  column: number | null;
  /** The field path as the server wrote it: "slug", "settings.session_ttl", "validations[1].regex", "key". */
  field: string;
  message: string;
  /** The whole problem as the server wrote it. */
  text: string;
}

const problemRE = /^importer "((?:[^"\\]|\\.)*)": (?:column "((?:[^"\\]|\\.)*)": )?(?:([A-Za-z_][A-Za-z0-9_.[\]]*): )?([\s\S]*)$/;

function unquote(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

/**
 * Splits the message of a 422 from /api/admin/importers[/validate] ("importer "x": column "email":
 * validations[1].regex: invalid regex ...; importer "x": name: is required") into field errors.
 * Columns are found by key, or by "#N" (1-based) for a column whose key itself is invalid.
 */
export function mapErrors(message: string, columns: { key: string }[]): FieldError[] {
  const parts = message.split(/; (?=importer ")/);
  const out: FieldError[] = [];
  for (let part of parts) {
    part = part.replace(/; and \d+ more$/, '');
    const m = problemRE.exec(part);
    if (!m) {
      out.push({ column: null, field: '', message: part, text: part });
      continue;
    }
    const [, , colName, field = '', msg] = m;
    let column: number | null = null;
    if (colName !== undefined) {
      const key = unquote(colName);
      const byIndex = /^#(\d+)$/.exec(key);
      if (byIndex) column = Number(byIndex[1]) - 1;
      else {
        const i = columns.findIndex((c) => c.key === key);
        column = i >= 0 ? i : null;
      }
      // a duplicate key belongs to the later column(s) with that key
      if (field === 'key' && /^duplicate key/.test(msg)) {
        const last = columns.map((c) => c.key).lastIndexOf(key);
        if (last >= 0) column = last;
      }
    }
    out.push({ column, field, message: msg, text: part });
  }
  return out;
}

/** The errors for one place in the form: a column (index or null) and a field prefix ("" = anything left over). */
export function errorsFor(errors: FieldError[], column: number | null, field: string): FieldError[] {
  return errors.filter((e) => e.column === column && (e.field === field || e.field.startsWith(field + '.') || e.field.startsWith(field + '[')));
}

// ---- YAML (as the workspace file holds it) ----

/** A mapping key: plain when YAML reads it back as the same string ("upload.title"), else quoted ("*"). */
function yamlKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : JSON.stringify(k);
}

const plainRE = /^[A-Za-z0-9_/][A-Za-z0-9_ ./@+()-]*$/;
// what YAML would read as a number or a timestamp
const numberLikeRE = /^([-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?|0[xob][0-9a-fA-F_]+|\d{4}-\d\d?-\d\d?.*)$/;
const reserved = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v ?? '');
  if (s !== '' && plainRE.test(s) && !numberLikeRE.test(s) && !reserved.test(s) && !/ $/.test(s) && !/: | #/.test(s)) return s;
  return JSON.stringify(s);
}

function emit(v: unknown, indent: string, out: string[], lead: string): void {
  // lead: what precedes the value on its first line ("key:" or "-")
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(`${lead} []`);
      return;
    }
    out.push(lead);
    for (const item of v) emitItem(item, indent + '  ', out);
    return;
  }
  if (typeof v === 'object' && v !== null) {
    out.push(lead);
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      emit(x, indent + '  ', out, `${indent}  ${yamlKey(k)}:`);
    }
    return;
  }
  if (typeof v === 'string' && v.includes('\n') && /^[^\s]/.test(v) && !/\n\n$/.test(v) && !/[\r\t]/.test(v)) {
    // a multi-line text (a hook's source) as a block literal: |- without a final newline, | with one
    const lines = v.replace(/\n$/, '').split('\n');
    out.push(`${lead} ${v.endsWith('\n') ? '|' : '|-'}`);
    for (const line of lines) out.push(line ? `${indent}  ${line}` : '');
    return;
  }
  out.push(`${lead} ${scalar(v)}`);
}

function emitItem(item: unknown, indent: string, out: string[]): void {
  if (typeof item !== 'object' || item === null) {
    out.push(`${indent}- ${scalar(item)}`);
    return;
  }
  const entries = Object.entries(item).filter(([, x]) => x !== undefined);
  entries.forEach(([k, x], i) => {
    const prefix = i === 0 ? `${indent}- ${yamlKey(k)}:` : `${indent}  ${yamlKey(k)}:`;
    emit(x, indent + '  ', out, prefix);
  });
}

/** The importer as an entry of the workspace file's `importers:` list. */
export function toYAML(imp: Importer): string {
  const { created_at: _c, updated_at: _u, ...def } = imp;
  void _c;
  void _u;
  const out: string[] = ['importers:'];
  emitItem(def, '  ', out);
  return out.join('\n') + '\n';
}
