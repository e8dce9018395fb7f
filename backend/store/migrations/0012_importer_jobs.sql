-- Durable work on an import: a row exists while a long step must be
-- carried to its end even if the process running it stops (kill -9, a
-- crash, a power cut). The process that runs it is owner (pid:token),
-- with lease_until (RFC 3339) renewed while it works; a process that
-- starts on the data dir takes over the jobs whose owner is gone and
-- resumes them (backend/importer/jobs.go).
--   then_submit = 0: bring the import to review (a staging the server ran);
--   then_submit = 1: bring it to completed (a submit; `fusebox import`).
-- source_path and mapping are what `fusebox import` was given: the local
-- file (uploaded again when the upload itself was cut) and the mapping
-- (JSON; '' = the suggested one).
-- The submit writes records in bounded transactions, each advancing
-- last_row (the last staged row read) and records (the last sort written)
-- with the records it adds: a resumed submit goes on from there, so no
-- record is written twice or left half written. records_total is what the
-- submit will write (the progress the API reports). attempts counts the
-- takeovers: past a few, the import is marked failed instead.
CREATE TABLE importer_jobs (
    import_id     INTEGER PRIMARY KEY,
    then_submit   INTEGER NOT NULL DEFAULT 0,
    source_path   TEXT NOT NULL DEFAULT '',
    mapping       TEXT NOT NULL DEFAULT '',
    owner         TEXT NOT NULL DEFAULT '',
    lease_until   TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_row      INTEGER NOT NULL DEFAULT 0,
    records       INTEGER NOT NULL DEFAULT 0,
    records_total INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
