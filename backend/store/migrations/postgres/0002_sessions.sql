-- PostgreSQL twin of ../0002_sessions.sql (same version, same tables and columns;
-- INTEGER is BIGINT, BLOB is BYTEA, INTEGER PRIMARY KEY ids are identities).
-- API keys. The key itself is never stored: hash is the hex SHA-256 of the
-- whole key (keys carry 256 bits of entropy, so a fast hash is enough) and
-- prefix is a short, non-secret beginning shown in lists ("fbx_sk_AbCd").
-- kind: secret | publishable. importers and origins are JSON arrays of
-- strings and apply to publishable keys only.
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    prefix         TEXT NOT NULL,
    hash           TEXT NOT NULL UNIQUE,
    importers      TEXT NOT NULL DEFAULT '[]',
    origins        TEXT NOT NULL DEFAULT '[]',
    created_at     TEXT NOT NULL,
    last_used_at   TEXT NOT NULL DEFAULT '',
    deactivated_at TEXT NOT NULL DEFAULT ''
);

-- Importer sessions: one per token issued. id is the token's jti.
-- key_id is the API key that asked for it ('' when the console or the CLI
-- issued it); origin is the browser Origin of a client-side session.
CREATE TABLE importer_sessions (
    id            TEXT PRIMARY KEY,
    importer_slug TEXT NOT NULL,
    metadata      TEXT NOT NULL DEFAULT '{}',
    key_id        TEXT NOT NULL DEFAULT '',
    origin        TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX importer_sessions_created ON importer_sessions (created_at);
CREATE INDEX importer_sessions_importer ON importer_sessions (importer_slug, created_at);

-- Signing keys of importer session tokens (HS256), one row per kid. secret
-- is sealed with AES-256-GCM under the key file in the data dir
-- (session-keys.key), base64url of nonce || ciphertext; it is never an
-- API key and never leaves the process.
CREATE TABLE session_signing_keys (
    kid        TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT NOT NULL DEFAULT ''
);
