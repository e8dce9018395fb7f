-- Host page origins the embed check refused, per importer: the console
-- lists them under "Origins recently refused" with "Allow this origin".
-- The importer package keeps at most 20 per importer (the most recently
-- seen) and stores only canonical origins (scheme://host[:port]).
CREATE TABLE importer_refused_origins (
    importer_id INTEGER NOT NULL REFERENCES importers(id) ON DELETE CASCADE,
    origin      TEXT NOT NULL,
    count       INTEGER NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (importer_id, origin)
);
