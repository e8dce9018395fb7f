-- PostgreSQL twin of ../0007_refused_origins.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- Host page origins the embed check refused, per importer: the console
-- lists them under "Origins recently refused" with "Allow this origin".
-- The importer package keeps at most 20 per importer (the most recently
-- seen) and stores only canonical origins (scheme://host[:port]).
CREATE TABLE importer_refused_origins (
    importer_id BIGINT NOT NULL REFERENCES importers(id) ON DELETE CASCADE,
    origin      TEXT NOT NULL,
    count       BIGINT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (importer_id, origin)
);
