-- PostgreSQL twin of ../0004_marketplace.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- The integrations marketplace (backend/marketplace). Workspace-level
-- settings (org id, embed origins, token limits) live in the settings
-- table under keys "marketplace.*".

-- API secrets that host apps sign signed-link tokens with (HS256). The
-- secret must stay usable as an HMAC key, so it cannot be hashed: it is
-- sealed with AES-256-GCM under the key in <data-dir>/secrets.key (0600).
-- sealed is base64url of nonce || ciphertext, with the id as additional
-- data so a sealed value cannot be moved to another row. hint is the last
-- four characters, shown in lists so people can tell secrets apart.
CREATE TABLE marketplace_secrets (
    id             TEXT PRIMARY KEY,
    label          TEXT NOT NULL DEFAULT '',
    sealed         TEXT NOT NULL,
    hint           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    last_used_at   TEXT NOT NULL DEFAULT '',
    deactivated_at TEXT NOT NULL DEFAULT ''
);

-- Monetization plans. allowed_actions is a JSON array ("install",
-- "customize"); 0 in a max_* column means unlimited.
CREATE TABLE marketplace_plans (
    name             TEXT PRIMARY KEY,
    position         BIGINT NOT NULL,
    is_default       BIGINT NOT NULL DEFAULT 0,
    max_integrations BIGINT NOT NULL DEFAULT 0,
    max_transactions BIGINT NOT NULL DEFAULT 0,
    allowed_actions  TEXT NOT NULL DEFAULT '[]',
    upgrade_message  TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL
);

-- Listings of the catalog. spec is the listing as JSON (fields, config
-- fields, workflow steps), exactly what the workspace file holds.
CREATE TABLE marketplace_listings (
    id         TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    name       TEXT NOT NULL,
    category   TEXT NOT NULL DEFAULT '',
    spec       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- End users of the host app, created and updated from signed-link claims.
-- plan is the plan applied at the last login; requested_plan is the
-- monetizationPlan claim as sent, and plan_note says why they differ.
CREATE TABLE marketplace_end_users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    firstname      TEXT NOT NULL DEFAULT '',
    lastname       TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    plan           TEXT NOT NULL DEFAULT '',
    requested_plan TEXT NOT NULL DEFAULT '',
    plan_note      TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    last_login_at  TEXT NOT NULL,
    UNIQUE (org_id, external_id)
);

-- Marketplace sessions that a signed link is exchanged for. The session id
-- is an opaque random value held by the iframe; only its SHA-256 is kept.
-- connection is the token's connection claims (they may carry credentials),
-- sealed like the secrets.
CREATE TABLE marketplace_sessions (
    id_hash     TEXT PRIMARY KEY,
    end_user_id TEXT NOT NULL REFERENCES marketplace_end_users (id) ON DELETE CASCADE,
    secret_id   TEXT NOT NULL,
    connection  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX marketplace_sessions_expires ON marketplace_sessions (expires_at);

-- jti values of tokens already exchanged, kept until the token expires.
CREATE TABLE marketplace_used_jti (
    jti        TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
CREATE INDEX marketplace_used_jti_expires ON marketplace_used_jti (expires_at);

-- Installs of a listing by an end user. status: running | installed |
-- failed | removed. config is the JSON of the non-secret values; secrets is
-- the JSON of the secret ones, sealed. destination_id is the relay route
-- a relay_route step created.
CREATE TABLE marketplace_installs (
    id             TEXT PRIMARY KEY,
    end_user_id    TEXT NOT NULL REFERENCES marketplace_end_users (id) ON DELETE CASCADE,
    listing_id     TEXT NOT NULL,
    listing_name   TEXT NOT NULL,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL,
    enabled        BIGINT NOT NULL DEFAULT 1,
    config         TEXT NOT NULL DEFAULT '{}',
    secrets        TEXT NOT NULL DEFAULT '',
    base_url       TEXT NOT NULL DEFAULT '',
    destination_id TEXT NOT NULL DEFAULT '',
    error          TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX marketplace_installs_user ON marketplace_installs (end_user_id, status);
CREATE INDEX marketplace_installs_created ON marketplace_installs (created_at);

-- The recorded result of each workflow step of an install.
-- status: pending | running | ok | failed | skipped.
CREATE TABLE marketplace_install_steps (
    install_id  TEXT NOT NULL REFERENCES marketplace_installs (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL DEFAULT '',
    finished_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (install_id, position)
);

-- Transactions (relay deliveries) per end user per calendar month (UTC,
-- "2006-01"), counted by Reserve against the plan's max_transactions.
CREATE TABLE marketplace_usage (
    end_user_id  TEXT NOT NULL REFERENCES marketplace_end_users (id) ON DELETE CASCADE,
    month        TEXT NOT NULL,
    transactions BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (end_user_id, month)
);
