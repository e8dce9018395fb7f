-- Faster matching (importer match_on).
--
-- importer_match_index gets a digest of each last record: the first 16
-- bytes of the SHA-256 of its data text. A staged row whose index form has
-- the same digest is unchanged; the look-ups read only (key_hash, digest)
-- from importer_match_index_digest (a covering index much smaller than the
-- table, whose rows hold the whole data) and read data only for the rows
-- that differ, to name their changed columns. Rows indexed before this
-- migration have a NULL digest: the look-up reads their data, computes the
-- digest and stores it (the first re-import after the upgrade fills them).
ALTER TABLE importer_match_index ADD COLUMN digest BLOB;
CREATE INDEX importer_match_index_digest ON importer_match_index (importer, scope, key_hash, digest);

-- An import's most common match status is not stored per row: the rows
-- without a row in importer_row_match have importer_imports.match_default
-- ('' for imports staged before this migration: every row has its row).
ALTER TABLE importer_imports ADD COLUMN match_default TEXT NOT NULL DEFAULT '';
