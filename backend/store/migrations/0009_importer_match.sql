-- Update instead of duplicate (importer match_on): the last submitted
-- record per importer, scope and match key, and each staged row's status
-- against it.
CREATE TABLE importer_match_index (
    importer   TEXT NOT NULL,
    scope      TEXT NOT NULL,
    key_hash   BLOB NOT NULL,
    data       TEXT NOT NULL, -- {"key": "cell text", ...} of the last submitted row
    import_id  INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (importer, scope, key_hash)
) WITHOUT ROWID;

CREATE TABLE importer_row_match (
    import_id INTEGER NOT NULL,
    row_num   INTEGER NOT NULL,
    status    TEXT NOT NULL,              -- new, update, unchanged
    changed   TEXT NOT NULL DEFAULT '',   -- JSON array of the changed column keys (update)
    PRIMARY KEY (import_id, row_num)
) WITHOUT ROWID;
