-- PostgreSQL twin of ../0014_import_cancelled.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- The end user cancelled the import (the importer's Cancel, sent by the
-- embed as POST /api/importer/imports/{slug}/cancel): when, or ''. The
-- console lists such imports as "cancelled"; an import never submitted and
-- idle past importer.AbandonedAfter is "abandoned" (computed, not stored).
ALTER TABLE importer_imports ADD COLUMN cancelled_at TEXT NOT NULL DEFAULT '';
