-- PostgreSQL twin of ../0010_importer_callbacks.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- Server callbacks (importer hooks.validate): the answers of the host's
-- validation endpoint per row content, and each import's callback state.
CREATE TABLE importer_callback_cache (
    import_id BIGINT NOT NULL,
    row_hash  BYTEA NOT NULL,  -- sha256 of the row's cells (JSON), first 16 bytes
    result    TEXT NOT NULL,  -- {"errors": {...}, "warnings": {...}} (findings only)
    PRIMARY KEY (import_id, row_hash)
);

CREATE TABLE importer_callback_state (
    import_id  BIGINT PRIMARY KEY,
    state      TEXT NOT NULL,             -- running, ok, failed
    message    TEXT NOT NULL DEFAULT '',
    checked    BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
