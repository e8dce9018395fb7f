-- The validation endpoint's clean verdicts (rows it answered without
-- findings), kept apart from importer_callback_cache: a staging run judges
-- every row, and one cache row per row cost about 1 us each to write (1 s
-- for 1M rows, after the endpoint's last answer). Here the hashes (the
-- first 16 bytes of importer_callback_cache.row_hash's sha256) are grouped
-- by their first two bytes into one sorted array per bucket: 65,536 rows at
-- most per import, each looked up by (import_id, bucket) and searched.
-- importer_callback_cache still holds the answers with findings; a hash
-- there is judged by that answer, which a later clean verdict removes.
CREATE TABLE importer_callback_clean (
    import_id INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,  -- the hash's first two bytes, big-endian (0-65535)
    hashes    BLOB NOT NULL,     -- 16-byte hashes, sorted, no repeats
    PRIMARY KEY (import_id, bucket)
) WITHOUT ROWID;
