-- State a team server's replicas share: console logins, per-client rate
-- limits and the requests recorded by /sink/{name}. A single process on
-- SQLite keeps all three in memory (as before) and leaves these tables
-- empty; on PostgreSQL every replica reads and writes them, so a console
-- login made through one replica works on the others, a logout ends it on
-- all of them, a limit counts the requests of every replica and the console
-- lists what any replica's sink received.

-- One-time console login codes (SHA-256 of the code; the code itself is
-- printed once). At most 100 are kept, the oldest dropped first.
CREATE TABLE console_login_codes (
    code_hash  TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);

-- Console sessions (SHA-256 of the cookie's value). A session ends at
-- logout (its row deleted), after the idle time without use and at its max
-- age; expired rows are deleted at the next login.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);
CREATE INDEX console_sessions_last_used ON console_sessions (last_used_at);

-- Token buckets of the per-client rate limits, keyed by limit and client.
-- tokens is the bucket at updated_at (seconds since 1970, the database's
-- clock); full_at is when it is full again, after which the row says no
-- more than a missing one and is deleted.
CREATE TABLE rate_buckets (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_at REAL NOT NULL,
    full_at    REAL NOT NULL
);
CREATE INDEX rate_buckets_full_at ON rate_buckets (full_at);

-- The sinks (/sink/{name}): requests received in all (total), when the
-- last arrived, and the id of the last (the least recently used sink is
-- forgotten first).
CREATE TABLE sink_names (
    name      TEXT PRIMARY KEY,
    total     INTEGER NOT NULL,
    last_seen TEXT NOT NULL,
    last_id   INTEGER NOT NULL
);

-- The requests a sink keeps, within the sink's limits. headers is the JSON
-- of [[name, value], ...]; size is what the request counts against the
-- sink's total bytes.
CREATE TABLE sink_requests (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    method            TEXT NOT NULL,
    url               TEXT NOT NULL,
    url_truncated     INTEGER NOT NULL,
    headers           TEXT NOT NULL,
    headers_truncated INTEGER NOT NULL,
    body              BLOB NOT NULL,
    body_bytes        INTEGER NOT NULL,
    truncated         INTEGER NOT NULL,
    is_binary         INTEGER NOT NULL,
    size              INTEGER NOT NULL
);
CREATE INDEX sink_requests_name ON sink_requests (name, id);
