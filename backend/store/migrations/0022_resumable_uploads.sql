-- Resumable uploads (importer/resumable.go): an upload sent in byte ranges
-- (PUT .../file with Content-Range) records the file's declared size in
-- total and, after each chunk committed, the SHA-256 state of the bytes
-- received so far in hash_state, so that the next range (through any
-- replica of a team server) continues the file and its hash where the last
-- one stopped. A one-request upload leaves total at 0.
ALTER TABLE importer_uploads ADD COLUMN total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE importer_uploads ADD COLUMN hash_state BLOB NOT NULL DEFAULT x'';
