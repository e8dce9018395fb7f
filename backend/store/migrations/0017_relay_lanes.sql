-- Per-destination sending state shared by every worker on the database
-- (several replicas of a team server on PostgreSQL; one process on
-- SQLite). lane_owner/lane_until lease the destination's lane: one worker
-- at a time sends to a destination, with the destination's concurrency
-- and rate limit, and renews the lease while it does; a dead worker's
-- lane expires and another takes it over. paused_until (429/503
-- Retry-After) and slow_until (after a 429: one request at a time) are
-- seen by whichever worker sends next; next_send_at is when the rate limit
-- allows the next request, handed from one lane owner to the next. All
-- times are Unix milliseconds.
CREATE TABLE relay_lanes (
    destination_id TEXT PRIMARY KEY REFERENCES relay_destinations (id) ON DELETE CASCADE,
    lane_owner     TEXT NOT NULL DEFAULT '',
    lane_until     INTEGER NOT NULL DEFAULT 0,
    paused_until   INTEGER NOT NULL DEFAULT 0,
    slow_until     INTEGER NOT NULL DEFAULT 0,
    next_send_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX relay_lanes_owner ON relay_lanes (lane_owner) WHERE lane_owner <> '';
