-- Relay destinations. spec is the JSON of relay.Destination; the columns
-- beside it are copied out for lookups. owner_id is the marketplace end
-- user of a route made by an install ('' = workspace/console destination),
-- match_user_id the host app's user id whose imports flow to that route.
-- enabled/disabled_reason are runtime state (410 Gone disables).
CREATE TABLE relay_destinations (
    id              TEXT PRIMARY KEY,
    origin          TEXT NOT NULL,
    owner_id        TEXT NOT NULL DEFAULT '',
    match_user_id   TEXT NOT NULL DEFAULT '',
    listing_id      TEXT NOT NULL DEFAULT '',
    install_id      TEXT NOT NULL DEFAULT '',
    importer        TEXT NOT NULL DEFAULT '',
    inbound_route   TEXT,
    spec            TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX relay_destinations_route ON relay_destinations (inbound_route);
CREATE INDEX relay_destinations_importer ON relay_destinations (importer);

-- Outbox of import jobs: one row per (destination, submitted import),
-- written in the transaction that completes the import. The worker claims
-- a job with a lease and expands it into deliveries; checkpoint is the
-- last record sequence already turned into deliveries (crash-safe resume).
CREATE TABLE relay_jobs (
    id             INTEGER PRIMARY KEY,
    destination_id TEXT NOT NULL REFERENCES relay_destinations (id) ON DELETE CASCADE,
    import_slug    TEXT NOT NULL,
    info           TEXT NOT NULL,
    status         TEXT NOT NULL,
    checkpoint     INTEGER NOT NULL DEFAULT 0,
    next_seq       INTEGER NOT NULL DEFAULT 0,
    records        INTEGER NOT NULL DEFAULT 0,
    discarded      INTEGER NOT NULL DEFAULT 0,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX relay_jobs_pending ON relay_jobs (status, id);
CREATE INDEX relay_jobs_destination ON relay_jobs (destination_id);

-- Deliveries: one outbound request each (a record, an array of records or
-- a status event). uid is the idempotency id, the same on every attempt
-- (webhook-id). status: pending | delivered | failed | dead | discarded |
-- held. next_at and lease_until are Unix milliseconds; a pending delivery
-- is due when next_at <= now and its lease has expired. round counts the
-- attempts since it was last queued (the retry schedule position).
-- url/query/headers hold what the records carried (url: an allowlisted
-- inbound override); the destination's own URL, static headers and secrets
-- are read at send time.
CREATE TABLE relay_deliveries (
    id             INTEGER PRIMARY KEY,
    uid            TEXT NOT NULL UNIQUE,
    destination_id TEXT NOT NULL REFERENCES relay_destinations (id) ON DELETE CASCADE,
    source         TEXT NOT NULL,
    import_slug    TEXT NOT NULL DEFAULT '',
    seq            INTEGER NOT NULL DEFAULT 0,
    records        INTEGER NOT NULL DEFAULT 1,
    status         TEXT NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    round          INTEGER NOT NULL DEFAULT 0,
    next_at        INTEGER NOT NULL DEFAULT 0,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    INTEGER NOT NULL DEFAULT 0,
    reserved       INTEGER NOT NULL DEFAULT 0,
    url            TEXT NOT NULL DEFAULT '',
    query          TEXT NOT NULL DEFAULT '',
    headers        TEXT NOT NULL DEFAULT '',
    body           BLOB NOT NULL,
    last_code      INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    done_at        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX relay_deliveries_due ON relay_deliveries (destination_id, next_at, id) WHERE status = 'pending';
CREATE INDEX relay_deliveries_dest_status ON relay_deliveries (destination_id, status, id);
CREATE INDEX relay_deliveries_import ON relay_deliveries (import_slug, id);
CREATE INDEX relay_deliveries_leased ON relay_deliveries (lease_owner) WHERE lease_owner <> '';

-- Attempt log: one row per request sent (or refused before sending).
-- response is the start of the response body, capped.
CREATE TABLE relay_attempts (
    delivery_id INTEGER NOT NULL REFERENCES relay_deliveries (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    response    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, n)
) WITHOUT ROWID;
