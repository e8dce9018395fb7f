-- PostgreSQL twin of ../0009_importer_match.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- Update instead of duplicate (importer match_on): the last submitted
-- record per importer, scope and match key, and each staged row's status
-- against it.
CREATE TABLE importer_match_index (
    importer   TEXT NOT NULL,
    scope      TEXT NOT NULL,
    key_hash   BYTEA NOT NULL,
    data       TEXT NOT NULL, -- {"key": "cell text", ...} of the last submitted row
    import_id  BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (importer, scope, key_hash)
);

CREATE TABLE importer_row_match (
    import_id BIGINT NOT NULL,
    row_num   BIGINT NOT NULL,
    status    TEXT NOT NULL,              -- new, update, unchanged
    changed   TEXT NOT NULL DEFAULT '',   -- JSON array of the changed column keys (update)
    PRIMARY KEY (import_id, row_num)
);
