-- PostgreSQL twin of ../0006_declared_secrets_upgrade.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- Declared secrets. Destinations used to read any environment variable
-- they named; now only names in the workspace's secrets: list (the
-- relay.secrets setting) are read. A data dir that already holds
-- destinations but has never stored that list was made by an older
-- Fusebox: mark it, and the relay, when it is next built over this
-- database, declares exactly the names those destinations read, once, and
-- records that it did (relay/declared_upgrade.go). A new data dir never
-- gets the mark, so undeclared names stay refused there.
INSERT INTO settings (key, value, updated_at)
SELECT 'relay.secrets_upgrade', 'pending', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'relay.secrets')
  AND EXISTS (SELECT 1 FROM relay_destinations);
