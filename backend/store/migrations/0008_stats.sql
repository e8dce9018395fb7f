-- Console dashboard. The figures are SQL over the existing tables; these
-- indexes keep them fast on a large data dir (make bench: dashboard).
--
-- reached is how far in the importer's flow an import has ever got (the
-- drop-off funnel): 1 file uploaded, 2 header row passed (the mapping step
-- was opened), 3 mapping confirmed, 4 rows staged for review, 5 submitted.
-- The current step can go back (a new file, a new mapping); reached never
-- does. Existing imports start from their current step.
ALTER TABLE importer_imports ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
UPDATE importer_imports SET reached = CASE
    WHEN status IN ('submitted', 'completed') THEN 5
    WHEN step IN ('review', 'submitting', 'done') THEN 4
    WHEN step = 'staging' THEN 3
    WHEN mapping <> '' THEN 3
    WHEN step = 'uploaded' THEN 1
    ELSE 0 END;
CREATE INDEX importer_imports_created ON importer_imports (created_at);

-- Deliveries per destination and status by creation time, covering the
-- dashboard's per-day counts: each is one range seek, no table lookups.
CREATE INDEX relay_deliveries_dest_day ON relay_deliveries (destination_id, status, created_at, attempts);

-- Installs refused by a plan limit (installs are refused before they
-- exist, so nothing else records them).
CREATE TABLE marketplace_limit_hits (
    id          INTEGER PRIMARY KEY,
    end_user_id TEXT NOT NULL,
    listing_id  TEXT NOT NULL DEFAULT '',
    plan        TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX marketplace_limit_hits_created ON marketplace_limit_hits (created_at);
