-- What a staging run has committed so far (rows 1..staged_max_row are
-- stored; staged_rows of them, staged_error_rows with errors and
-- staged_warning_rows with warnings, from staged_bytes of the file), kept
-- with the import's progress on a team server so that the review of an
-- import still staging can be read through any replica. The replica staging
-- writes them in the transaction that commits each batch of rows, so they
-- never count a row that is not stored; the transaction that starts a
-- staging run sets them to 0. Read only while the import's step is staging.
ALTER TABLE importer_progress ADD COLUMN staged_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE importer_progress ADD COLUMN staged_max_row INTEGER NOT NULL DEFAULT 0;
ALTER TABLE importer_progress ADD COLUMN staged_error_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE importer_progress ADD COLUMN staged_warning_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE importer_progress ADD COLUMN staged_bytes INTEGER NOT NULL DEFAULT 0;
