-- PostgreSQL twin of ../0013_dashboard_rollup.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- Console dashboard, fast on a large data dir: deliveries per destination, status and creation day
-- (UTC, the first 10 characters of created_at), with their attempts. The
-- dashboard's per-day delivery counts and backlog read these few rows
-- instead of counting a million index entries. Triggers keep it exact in
-- the same transaction as every insert, update and delete of
-- relay_deliveries (including those cascaded from a deleted
-- destination); a day whose deliveries all moved on keeps a row of zeros.
CREATE TABLE relay_delivery_days (
    destination_id TEXT NOT NULL,
    status         TEXT NOT NULL,
    day            TEXT NOT NULL,
    deliveries     BIGINT NOT NULL,
    attempts       BIGINT NOT NULL,
    PRIMARY KEY (destination_id, status, day)
);

INSERT INTO relay_delivery_days (destination_id, status, day, deliveries, attempts)
SELECT destination_id, status, substr(created_at, 1, 10), count(*), SUM(attempts)
FROM relay_deliveries GROUP BY 1, 2, 3;

-- SQLite's three triggers are one trigger function here.
CREATE FUNCTION relay_delivery_days_track() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE relay_delivery_days SET deliveries = deliveries - 1, attempts = attempts - OLD.attempts
        WHERE destination_id = OLD.destination_id AND status = OLD.status AND day = substr(OLD.created_at, 1, 10);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO relay_delivery_days (destination_id, status, day, deliveries, attempts)
        VALUES (NEW.destination_id, NEW.status, substr(NEW.created_at, 1, 10), 1, NEW.attempts)
        ON CONFLICT (destination_id, status, day) DO UPDATE SET deliveries = relay_delivery_days.deliveries + 1,
            attempts = relay_delivery_days.attempts + excluded.attempts;
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER relay_delivery_days_insert AFTER INSERT ON relay_deliveries
    FOR EACH ROW EXECUTE FUNCTION relay_delivery_days_track();

CREATE TRIGGER relay_delivery_days_update AFTER UPDATE OF destination_id, status, attempts, created_at ON relay_deliveries
    FOR EACH ROW WHEN (NEW.destination_id IS DISTINCT FROM OLD.destination_id OR NEW.status IS DISTINCT FROM OLD.status
        OR NEW.attempts IS DISTINCT FROM OLD.attempts OR NEW.created_at IS DISTINCT FROM OLD.created_at)
    EXECUTE FUNCTION relay_delivery_days_track();

CREATE TRIGGER relay_delivery_days_delete AFTER DELETE ON relay_deliveries
    FOR EACH ROW EXECUTE FUNCTION relay_delivery_days_track();

-- The dashboard no longer counts relay_deliveries by day; this index
-- (migration 0008) only cost writes.
DROP INDEX IF EXISTS relay_deliveries_dest_day;

-- The dashboard's imports per day, funnel and rows come from this index
-- alone: the import rows themselves hold the definition (kilobytes of
-- JSON before the counts), which a lookup per import would read. It
-- replaces the plain created_at index of migration 0008.
CREATE INDEX importer_imports_dashboard ON importer_imports (created_at, importer_id, status, reached, row_count, error_rows, record_count);
DROP INDEX IF EXISTS importer_imports_created;
