-- Staged rows keyed by one integer: id = import_id * 2^32 + row_num (an
-- import's rows are the ids import_id * 2^32 + 1 .. + 2^32 - 1, in row
-- order; row numbers fit in 32 bits). A rowid table: staging appends
-- ascending ids, SQLite fills each page on that path, and the key is
-- stored once, not as two columns of a record. The rows staged before are
-- moved over as they are.
CREATE TABLE importer_rows_new (
    id       INTEGER PRIMARY KEY,
    data     TEXT NOT NULL,
    errors   INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0
);
INSERT INTO importer_rows_new (id, data, errors, warnings)
    SELECT import_id * 4294967296 + row_num, data, errors, warnings FROM importer_rows ORDER BY import_id, row_num;
DROP TABLE importer_rows;
ALTER TABLE importer_rows_new RENAME TO importer_rows;
CREATE INDEX importer_rows_with_errors ON importer_rows (id) WHERE errors > 0;
