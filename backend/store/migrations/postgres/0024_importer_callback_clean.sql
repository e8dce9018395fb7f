-- PostgreSQL twin of ../0024_importer_callback_clean.sql (same version, same
-- table and columns; INTEGER is BIGINT, BLOB is BYTEA).
-- The validation endpoint's clean verdicts, 16-byte row hashes grouped by
-- their first two bytes into one sorted array per bucket.
CREATE TABLE importer_callback_clean (
    import_id BIGINT NOT NULL,
    bucket    INTEGER NOT NULL,
    hashes    BYTEA NOT NULL,
    PRIMARY KEY (import_id, bucket)
);
