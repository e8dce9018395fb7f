-- The review's filters new/update/unchanged count an import's rows of one
-- status from this index instead of every row of the import.
CREATE INDEX importer_row_match_status ON importer_row_match (import_id, status);
