-- PostgreSQL twin of ../0012_importer_jobs.sql (same version, same tables and columns;
-- INTEGER is BIGINT).
-- Durable work on an import: a row exists while a long step must be
-- carried to its end even if the process running it stops.
CREATE TABLE importer_jobs (
    import_id     BIGINT PRIMARY KEY,
    then_submit   BIGINT NOT NULL DEFAULT 0,
    source_path   TEXT NOT NULL DEFAULT '',
    mapping       TEXT NOT NULL DEFAULT '',
    owner         TEXT NOT NULL DEFAULT '',
    lease_until   TEXT NOT NULL DEFAULT '',
    attempts      BIGINT NOT NULL DEFAULT 0,
    last_row      BIGINT NOT NULL DEFAULT 0,
    records       BIGINT NOT NULL DEFAULT 0,
    records_total BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
