-- Importer definitions. definition is the JSON of importer.Importer
-- (columns, settings, description); slug and name are copied out for lookups.
CREATE TABLE importers (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One import: a file going through upload, mapping, review and submit.
-- definition is a snapshot of the importer taken when the import was made,
-- so editing an importer never breaks an import in flight.
-- status (API): created | submitting | submitted | completed | failed.
-- step (flow): created | uploaded | staging | review | submitting | done.
CREATE TABLE importer_imports (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    importer_id    INTEGER NOT NULL REFERENCES importers (id) ON DELETE CASCADE,
    definition     TEXT NOT NULL,
    session_id     TEXT NOT NULL DEFAULT '',
    user_id        TEXT NOT NULL DEFAULT '',
    metadata       TEXT NOT NULL DEFAULT '{}',
    status         TEXT NOT NULL,
    step           TEXT NOT NULL,
    failure_reason TEXT NOT NULL DEFAULT '',
    file_name      TEXT NOT NULL DEFAULT '',
    file_path      TEXT NOT NULL DEFAULT '',
    file_size      INTEGER NOT NULL DEFAULT 0,
    file_sha256    TEXT NOT NULL DEFAULT '',
    file_options   TEXT NOT NULL DEFAULT '{}',
    detected       TEXT NOT NULL DEFAULT '{}',
    header_row     INTEGER NOT NULL DEFAULT 0,
    headers        TEXT NOT NULL DEFAULT '[]',
    mapping        TEXT NOT NULL DEFAULT '',
    file_issues    TEXT NOT NULL DEFAULT '[]',
    row_count      INTEGER NOT NULL DEFAULT 0,
    max_row        INTEGER NOT NULL DEFAULT 0,
    error_rows     INTEGER NOT NULL DEFAULT 0,
    warning_rows   INTEGER NOT NULL DEFAULT 0,
    record_count   INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    submitted_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX importer_imports_importer ON importer_imports (importer_id, id);
CREATE INDEX importer_imports_status ON importer_imports (status, id);
CREATE INDEX importer_imports_session ON importer_imports (session_id);

-- Staged rows: one per data row of the file, cells in importer column
-- order as a JSON array of strings. errors/warnings count the row's bad
-- cells. Bulk table: no foreign key (checked per insert), rows are deleted
-- with their import by the importer service.
CREATE TABLE importer_rows (
    import_id INTEGER NOT NULL,
    row_num   INTEGER NOT NULL,
    data      TEXT NOT NULL,
    errors    INTEGER NOT NULL DEFAULT 0,
    warnings  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (import_id, row_num)
) WITHOUT ROWID;
CREATE INDEX importer_rows_with_errors ON importer_rows (import_id, row_num) WHERE errors > 0;

-- Findings on cells, only for bad cells: one row per cell, severity is
-- the worst one (error over warning), message joins the messages.
CREATE TABLE importer_cell_issues (
    import_id INTEGER NOT NULL,
    row_num   INTEGER NOT NULL,
    col       INTEGER NOT NULL,
    severity  TEXT NOT NULL,
    message   TEXT NOT NULL,
    PRIMARY KEY (import_id, row_num, col)
) WITHOUT ROWID;
CREATE INDEX importer_cell_issues_col ON importer_cell_issues (import_id, col, row_num);

-- Undo/redo log of review edits. One operation (seq) may be split into
-- several parts so that a find & replace over a million rows is written
-- in pieces. payload is JSON (see importer/edit.go).
CREATE TABLE importer_edits (
    import_id  INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    part       INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    undone     INTEGER NOT NULL DEFAULT 0,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (import_id, seq, part)
) WITHOUT ROWID;

-- Mapping memory: confirmed header -> column (kind 'header') and file
-- value -> enum value (kind 'value:<column key>') per importer, and per
-- end user (user_id from the session metadata; '' = importer-wide).
CREATE TABLE importer_mapping_memory (
    importer_id INTEGER NOT NULL REFERENCES importers (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (importer_id, user_id, kind, source)
);

-- Submitted records, stored in chunks of consecutive records: data is a
-- JSON array holding, per record, the typed values (numbers as numbers,
-- dates ISO 8601) as an array in the column order of the import's
-- definition snapshot. Records are immutable once submitted; chunking keeps
-- a million-record submit to a few thousand row writes. The API turns them
-- into objects keyed by column key. Sorts are 1-based and dense: the chunk
-- starting at first_sort holds sorts first_sort .. first_sort + n - 1.
CREATE TABLE importer_records (
    import_id  INTEGER NOT NULL,
    first_sort INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (import_id, first_sort)
) WITHOUT ROWID;
