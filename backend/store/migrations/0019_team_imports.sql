-- What a team server (several replicas on one PostgreSQL database) keeps in
-- the database instead of one replica's data dir or memory. A workstation on
-- SQLite has the tables too (one schema) but keeps uploads on disk and
-- progress in memory, as before.
--
-- The uploaded files, in chunks written as they arrive (importer/teamfile.go):
-- one importer_uploads row per upload received, complete = 1 once the whole
-- file (size, sha256) is in; the import's file is its complete upload. An
-- upload cut short is deleted by the replica receiving it, or, when that
-- replica stopped, by the clean-up worker once updated_at is a day old.
CREATE TABLE importer_uploads (
    upload_id  TEXT PRIMARY KEY,
    import_id  INTEGER NOT NULL,
    name       TEXT NOT NULL,
    size       INTEGER NOT NULL DEFAULT 0,
    sha256     TEXT NOT NULL DEFAULT '',
    complete   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX importer_uploads_import ON importer_uploads (import_id);
CREATE TABLE importer_upload_chunks (
    upload_id TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
CREATE INDEX importer_upload_chunks_import ON importer_upload_chunks (import_id);

-- The progress of an import's running (or last) long step, as the API
-- reports it (importer.Progress as JSON), written by the replica running
-- the step (owner) at most a few times a second, so any replica can answer;
-- started_at is when the step started (a later step's row is not
-- overwritten by an earlier one's last write).
CREATE TABLE importer_progress (
    import_id  INTEGER PRIMARY KEY,
    owner      TEXT NOT NULL,
    progress   TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
