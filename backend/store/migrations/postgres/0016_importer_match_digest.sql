-- PostgreSQL twin of ../0016_importer_match_digest.sql (same version, same
-- tables and columns; BLOB is BYTEA). Here the digests of the rows indexed
-- before are computed at once: the first 16 bytes of the SHA-256 of the
-- data text's UTF-8 bytes, as the importer computes them.
ALTER TABLE importer_match_index ADD COLUMN digest BYTEA;
UPDATE importer_match_index SET digest = substring(sha256(convert_to(data, 'UTF8')) FROM 1 FOR 16);
CREATE INDEX importer_match_index_digest ON importer_match_index (importer, scope, key_hash, digest);

ALTER TABLE importer_imports ADD COLUMN match_default TEXT NOT NULL DEFAULT '';
