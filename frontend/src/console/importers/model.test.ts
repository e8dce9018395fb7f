import { describe, expect, it } from 'vitest';
import {
  addColumn, addItem, errorsFor, fromDefinition, mapErrors, moveColumn, newDraft, removeColumn, removeItem,
  setMatchColumn, setMatching, toDefinition, toYAML, updateColumn, updateItem, type Importer,
} from './model';

const contacts: Importer = {
  slug: 'contacts',
  name: 'Contacts',
  settings: { invalid_rows: 'exclude', session_ttl: '2h', allowed_file_types: ['xlsx', 'csv'], max_file_size: '200MB' },
  columns: [
    { key: 'email', label: 'Email', type: 'email', required: true, unique: 'case_insensitive', alternates: ['e-mail address', 'work email'], transformations: [{ type: 'lowercase' }] },
    { key: 'plan', label: 'Plan', type: 'enum', default: 'free', values: [{ value: 'free', label: 'Free' }, { value: 'pro', alternates: ['professional'] }] },
    { key: 'signup', label: 'Signup', type: 'date', pattern: 'MM/dd/yyyy', validations: [{ type: 'after_date', value: '01/01/2000', severity: 'warning', message: 'too old' }] },
  ],
  created_at: '2026-01-01T00:00:00Z',
};

const keys = (d: { columns: { key: string }[] }) => d.columns.map((c) => c.key);

describe('importer draft', () => {
  it('round-trips a definition through the draft unchanged (settings in file-type order)', () => {
    const out = toDefinition(fromDefinition(contacts));
    const { created_at: _, ...want } = contacts;
    void _;
    want.settings = { ...want.settings, allowed_file_types: ['csv', 'xlsx'] };
    expect(out).toEqual(want);
  });

  it('keeps invalid_rows as written: absent stays absent, an explicit block stays', () => {
    const bare: Importer = { slug: 'a', name: 'A', columns: [{ key: 'k', label: 'K', type: 'string' }] };
    expect(toDefinition(fromDefinition(bare))).toEqual(bare);
    const block = { ...bare, settings: { invalid_rows: 'block' } };
    expect(toDefinition(fromDefinition(block))).toEqual(block);
  });

  it('adds columns with unused keys, removes and reorders them', () => {
    let d = fromDefinition(contacts);
    d = addColumn(d);
    expect(keys(d)).toEqual(['email', 'plan', 'signup', 'column_4']);
    d = updateColumn(d, d.columns[3].id, { key: 'column_5' });
    d = addColumn(d);
    expect(keys(d)).toEqual(['email', 'plan', 'signup', 'column_5', 'column_6']);
    const plan = d.columns[1].id;
    d = moveColumn(d, plan, -1);
    expect(keys(d)).toEqual(['plan', 'email', 'signup', 'column_5', 'column_6']);
    expect(moveColumn(d, plan, -1)).toBe(d); // already first
    d = moveColumn(d, plan, 4);
    expect(keys(d)).toEqual(['email', 'signup', 'column_5', 'column_6', 'plan']);
    expect(moveColumn(d, plan, 1)).toBe(d); // already last
    d = removeColumn(d, d.columns[2].id);
    expect(keys(d)).toEqual(['email', 'signup', 'column_6', 'plan']);
    // ids survive reordering (React keys), and are unique
    expect(new Set(d.columns.map((c) => c.id)).size).toBe(4);
    expect(d.columns[3].id).toBe(plan);
  });

  it('edits validations, transformations and enum values by item id', () => {
    let d = fromDefinition(contacts);
    const email = d.columns[0].id;
    d = addItem(d, email, 'validations');
    const v = d.columns[0].validations[0];
    d = updateItem(d, email, 'validations', v.id, { type: 'regex', value: '^[a-z]+@', message: 'lowercase please' });
    d = addItem(d, email, 'transformations');
    d = removeItem(d, email, 'transformations', d.columns[0].transformations[0].id); // the lowercase
    const plan = d.columns[1].id;
    d = addItem(d, plan, 'values');
    d = updateItem(d, plan, 'values', d.columns[1].values[2].id, { value: 'ent', alternates: 'enterprise, business ,' });
    const out = toDefinition(d);
    expect(out.columns[0].validations).toEqual([{ type: 'regex', value: '^[a-z]+@', message: 'lowercase please' }]);
    expect(out.columns[0].transformations).toEqual([{ type: 'trim_whitespace' }]);
    expect(out.columns[1].values?.[2]).toEqual({ value: 'ent', alternates: ['enterprise', 'business'] });
  });

  it('leaves out empty optional fields and the value of value-less validators', () => {
    let d = newDraft();
    d = { ...d, slug: ' people ', name: 'People', origins: 'https://a.example\n\nhttp://localhost:3000' };
    d = updateColumn(d, d.columns[0].id, { type: 'integer' });
    d = addItem(d, d.columns[0].id, 'validations');
    d = updateItem(d, d.columns[0].id, 'validations', d.columns[0].validations[0].id, { type: 'even', value: '3' });
    expect(toDefinition(d)).toEqual({
      slug: 'people',
      name: 'People',
      columns: [{ key: 'column_1', label: 'Column 1', type: 'integer', validations: [{ type: 'even' }] }],
      settings: { allowed_origins: ['https://a.example', 'http://localhost:3000'] },
    });
  });
});

describe('mapErrors', () => {
  const cols = [{ key: 'email' }, { key: 'plan' }, { key: 'email' }];

  it('names the column (by key, or by #N for a bad key) and the field of every problem', () => {
    const msg = [
      'importer "x": name: is required',
      'importer "x": column "email": validations[1].regex: invalid regex "([": error parsing regexp: missing closing ]: `([`',
      'importer "x": column "#2": key: "1bad" must start with a letter or _ and use letters, digits, _ . - (max 64)',
      'importer "x": settings.allowed_file_types[0]: "pdf" is not one of csv, tsv, txt, xlsx, json',
      'importer "x": column "email": key: duplicate key "email"',
    ].join('; ');
    const errs = mapErrors(msg, cols);
    expect(errs.map((e) => [e.column, e.field])).toEqual([
      [null, 'name'],
      [0, 'validations[1].regex'],
      [1, 'key'],
      [null, 'settings.allowed_file_types[0]'],
      [2, 'key'], // the later of the duplicates
    ]);
    expect(errs[1].message).toBe('invalid regex "([": error parsing regexp: missing closing ]: `([`');
    expect(errorsFor(errs, 0, 'validations[1]')).toHaveLength(1);
    expect(errorsFor(errs, 0, 'validations[10]')).toHaveLength(0);
    expect(errorsFor(errs, null, 'settings.allowed_file_types')).toHaveLength(1);
    expect(errorsFor(errs, null, 'settings')).toHaveLength(1);
  });

  it('keeps messages it cannot place, drops the "and N more" tail, unquotes keys', () => {
    const errs = mapErrors('importer definition: json: unknown field "colour"', cols);
    expect(errs).toEqual([{ column: null, field: '', message: 'importer definition: json: unknown field "colour"', text: 'importer definition: json: unknown field "colour"' }]);
    const more = mapErrors('importer "x": column "a\\"b": type: unknown type "money" (one of string); and 3 more', [{ key: 'a"b' }]);
    expect(more[0]).toMatchObject({ column: 0, field: 'type', message: 'unknown type "money" (one of string)' });
    expect(mapErrors('importer "x": column "gone": default: bad', cols)[0].column).toBeNull();
  });
});

describe('toYAML', () => {
  it('writes the importer as a workspace file entry', () => {
    expect(toYAML({ ...contacts, columns: contacts.columns.slice(0, 2) })).toBe(
      `importers:
  - slug: contacts
    name: Contacts
    settings:
      invalid_rows: exclude
      session_ttl: 2h
      allowed_file_types:
        - xlsx
        - csv
      max_file_size: 200MB
    columns:
      - key: email
        label: Email
        type: email
        required: true
        unique: case_insensitive
        alternates:
          - e-mail address
          - work email
        transformations:
          - type: lowercase
      - key: plan
        label: Plan
        type: enum
        default: free
        values:
          - value: free
            label: Free
          - value: pro
            alternates:
              - professional
`,
    );
  });

  it('quotes what YAML would read as something else', () => {
    const y = toYAML({ slug: 's', name: 'yes', columns: [{ key: 'k', label: 'a: b', type: 'string', default: '007', validations: [{ type: 'regex', value: '^[a-z]+$' }] }] });
    expect(y).toContain('name: "yes"');
    expect(y).toContain('label: "a: b"');
    expect(y).toContain('default: "007"');
    expect(y).toContain('value: "^[a-z]+$"');
  });
});

describe('hooks and matching in the draft', () => {
  const hooked: Importer = {
    slug: 'orders',
    name: 'Orders',
    columns: [{ key: 'sku', label: 'SKU', type: 'string' }, { key: 'qty', label: 'Qty', type: 'integer' }],
    hooks: {
      row: 'function (row) {\n  return {values: {sku: row.sku.trim()}}\n}',
      column: { qty: 'function (value) {\n  if (value === "0") return "zero"\n}' },
      call_timeout: '50ms',
      validate: { url: 'https://app.example.com/validate', batch: 500, signing_secret: 'VALIDATE_SECRET' },
    },
    match_on: ['sku'],
    match_scope: 'org',
  };

  it('keeps hooks and match_on through the draft (a save from the console does not drop them)', () => {
    expect(toDefinition(fromDefinition(hooked))).toEqual(hooked);
  });

  it('leaves out empty hook sources and an empty hooks block', () => {
    const d = fromDefinition(hooked);
    const cleared = toDefinition({ ...d, hooks: { row: '  ', column: { qty: '' } } });
    expect(cleared.hooks).toBeUndefined();
    const rowOnly = toDefinition({ ...d, hooks: { row: 'function (row) {}', column: { qty: '' } } });
    expect(rowOnly.hooks).toEqual({ row: 'function (row) {}' });
  });

  it('writes hook sources as YAML block literals', () => {
    const y = toYAML(hooked);
    expect(y).toContain('    hooks:\n      row: |-\n        function (row) {\n          return {values: {sku: row.sku.trim()}}\n        }\n');
    expect(y).toContain('      column:\n        qty: |-\n          function (value) {\n');
    expect(y).toContain('    match_on:\n      - sku\n');
  });
});

describe('matching in the form', () => {
  const base: Importer = {
    slug: 'contacts', name: 'Contacts',
    columns: [{ key: 'email', label: 'Email', type: 'email' }, { key: 'name', label: 'Name', type: 'string' }],
  };

  it('checks columns into match_on in the order they were chosen, and unchecks them', () => {
    let d = fromDefinition(base);
    d = setMatchColumn(d, 'name', true);
    d = setMatchColumn(d, 'email', true);
    expect(toDefinition(d).match_on).toEqual(['name', 'email']);
    d = setMatchColumn(d, 'name', false);
    expect(toDefinition(d).match_on).toEqual(['email']);
  });

  it('sets the scope and the user key; a scope without match_on is left out', () => {
    let d = fromDefinition(base);
    d = setMatching(d, { match_scope: 'user', match_user_key: 'account' });
    expect(toDefinition(d).match_scope).toBeUndefined();
    d = setMatchColumn(d, 'email', true);
    expect(toDefinition(d)).toMatchObject({ match_on: ['email'], match_scope: 'user', match_user_key: 'account' });
    // back to org: the user key means nothing there and is left out
    d = setMatching(d, { match_scope: 'org' });
    const def = toDefinition(d);
    expect(def.match_scope).toBe('org');
    expect(def.match_user_key).toBeUndefined();
  });

  it('follows a renamed column and drops a removed one', () => {
    let d = setMatchColumn(fromDefinition(base), 'email', true);
    const email = d.columns.find((c) => c.key === 'email')!;
    d = updateColumn(d, email.id, { key: 'work_email' });
    expect(toDefinition(d).match_on).toEqual(['work_email']);
    d = removeColumn(d, email.id);
    expect(toDefinition(d).match_on).toBeUndefined();
  });
});
