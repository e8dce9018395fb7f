-- PostgreSQL twin of ../0001_foundation.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- Workspace-wide settings: small key/value facts such as when the data dir
-- was initialised and whether the demo workspace was applied.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
